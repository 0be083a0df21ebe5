// One small adapter per driver so the same cases run through node-postgres and postgres.js.
import pg from 'pg'
import postgres from 'postgres'
import { PG, PG_URL } from './common.mjs'

function pgDriver() {
  const pool = new pg.Pool({ ...PG, max: 4 })
  return {
    name: 'pg',
    query: (text, params) => pool.query(text, params),
    async transaction(fn) {
      const client = await pool.connect()
      try {
        await client.query('BEGIN')
        await fn((text, params) => client.query(text, params))
      } finally {
        await client.query('ROLLBACK').catch(() => {})
        client.release()
      }
    },
    // A dedicated connection per call, for cases that need two sessions (deadlock).
    async session(fn) {
      const client = new pg.Client(PG)
      await client.connect()
      try {
        return await fn((text, params) => client.query(text, params))
      } finally {
        await client.end()
      }
    },
    async connectWith(overrides) {
      const client = new pg.Client({ ...PG, ...overrides })
      await client.connect()
      await client.query('SELECT 1')
      await client.end()
    },
    end: () => pool.end(),
  }
}

function postgresDriver() {
  const sql = postgres(PG_URL, { max: 4, onnotice: () => {} })
  return {
    name: 'postgres',
    query: (text, params) => sql.unsafe(text, params),
    async transaction(fn) {
      await sql.begin((tx) => fn((text, params) => tx.unsafe(text, params)))
    },
    async session(fn) {
      const one = postgres(PG_URL, { max: 1, onnotice: () => {} })
      try {
        return await fn((text, params) => one.unsafe(text, params))
      } finally {
        await one.end()
      }
    },
    async connectWith(overrides) {
      const other = postgres({
        host: PG.host,
        port: PG.port,
        user: PG.user,
        database: PG.database,
        connect_timeout: 5,
        onnotice: () => {},
        ...overrides,
      })
      try {
        await other`SELECT 1`
      } finally {
        await other.end({ timeout: 1 })
      }
    },
    end: () => sql.end({ timeout: 1 }),
  }
}

export function makeDriver(name) {
  if (name === 'pg') return pgDriver()
  if (name === 'postgres') return postgresDriver()
  throw new Error(`unknown driver ${name}`)
}

/** The PostgreSQL fields of an error, wherever the driver or ORM keeps them. */
export function pgFields(err) {
  // Prisma 7 keeps the server's error on its driver adapter's (meta.driverAdapterError.cause)
  const adapter = err?.meta?.driverAdapterError?.cause
  const inner = adapter ?? err?.original ?? err?.parent ?? err?.driverError ?? err?.cause ?? err
  const code = inner?.originalCode ?? inner?.code ?? err?.code
  return {
    sqlstate: typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : null,
    code: code ?? null,
    constraint: inner?.constraint?.index ?? inner?.constraint ?? inner?.constraint_name ?? null,
    table: inner?.table ?? inner?.table_name ?? null,
    message: inner?.message ?? String(err),
  }
}
