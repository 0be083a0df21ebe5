// A small users module: pg for storage, pino to stdout (as the app logs in CI).
import pg from 'pg'
import pino from 'pino'
import { PG } from '../../lib/common.mjs'

export const logger = pino({ name: 'users-api' }, pino.destination({ dest: 1, sync: true }))
const pool = new pg.Pool({ ...PG, max: 2 })

export async function createUser(email, orgId) {
  const log = logger.child({ op: 'createUser' })
  try {
    const res = await pool.query(
      'INSERT INTO users (org_id, email) VALUES ($1, $2) RETURNING id',
      [orgId, email],
    )
    log.info({ userId: res.rows[0].id }, 'user created')
    return res.rows[0]
  } catch (err) {
    log.error({ err, email }, 'createUser failed')
    throw err
  }
}

export async function listUsers() {
  const res = await pool.query('SELECT id, email FROM users ORDER BY id')
  logger.debug({ count: res.rowCount }, 'listed users')
  return res.rows
}

export function displayName(user) {
  return `${user.first} ${user.last[0]}.`
}

export const closePool = () => pool.end()
