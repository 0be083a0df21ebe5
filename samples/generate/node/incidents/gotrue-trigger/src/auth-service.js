// A GoTrue-like auth service: POST /signup inserts into auth.users (pg); pino to a file.
import pg from 'pg'
import pino from 'pino'
import { PG } from '../../../lib/common.mjs'

const SERVICE_LOG = process.env.SERVICE_LOG ?? 2
export const logger = pino(
  { name: 'auth' },
  pino.destination({ dest: SERVICE_LOG, sync: true, append: true }),
)
export const pool = new pg.Pool({ ...PG, max: 2 })
let requests = 0

export async function signup({ id, email, orgId }) {
  requests += 1
  const log = logger.child({ reqId: `req-${String(requests).padStart(3, '0')}`, path: '/signup' })
  log.info({ email }, 'request started')
  try {
    await pool.query(
      'INSERT INTO auth.users (id, email, raw_user_meta_data) VALUES ($1, $2, $3)',
      [id, email, { org_id: orgId }],
    )
  } catch (err) {
    log.error({ err, where: err.where }, 'error inserting user')
    log.error({ status: 500, error_code: 'unexpected_failure' }, '500: Database error saving new user')
    return { status: 500, body: { code: 'unexpected_failure', message: 'Database error saving new user' } }
  }
  log.info({ status: 200, userId: id }, 'user signed up')
  return { status: 200, body: { id, email } }
}
