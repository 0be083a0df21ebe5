// Test helper: gets an auth session for the test user, retrying once (logs to stdout).
import pino from 'pino'
import { pool } from './service.js'

export const log = pino({ name: 'auth-helper' }, pino.destination({ dest: 1, sync: true }))
let calls = 0

// The auth stub is cold on its first call in CI and times out; the helper retries.
async function requestToken(email) {
  calls += 1
  if (calls === 1) throw new Error('auth token request timed out after 50ms')
  const res = await pool.query(
    'INSERT INTO auth_users (email) VALUES ($1) ON CONFLICT (email) DO UPDATE SET email = EXCLUDED.email RETURNING id',
    [email],
  )
  return { userId: res.rows[0].id, token: `tok-${res.rows[0].id}` }
}

export async function signIn(email) {
  for (let attempt = 1; attempt <= 3; attempt += 1) {
    try {
      const session = await requestToken(email)
      log.info({ attempt, userId: session.userId }, `Auth attempt ${attempt} succeeded`)
      return session
    } catch (err) {
      log.warn({ attempt, err }, `Auth attempt ${attempt} failed, retrying`)
    }
  }
  throw new Error('auth failed')
}

export async function createAuthUser(email) {
  const res = await pool.query('INSERT INTO auth_users (email) VALUES ($1) RETURNING id', [email])
  log.info({ userId: res.rows[0].id }, 'auth user created')
  return res.rows[0]
}
