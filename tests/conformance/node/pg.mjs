// Conformance: provoke every case with node-postgres and log it with pino, one file per case.
// usage: node provoke.mjs <cases.json> <database> <out dir>
// pg and pino come from samples/generate/node (installed from its committed lockfile).
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const here = path.dirname(fileURLToPath(import.meta.url))
const require = createRequire(path.resolve(here, '../../../samples/generate/node/package.json'))
const pg = require('pg')
const pino = require('pino')

const [casesPath, database, outDir] = process.argv.slice(2)
const BASE = { host: '127.0.0.1', port: 5432, user: 'postgres', database }
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

async function connect(overrides = {}) {
  const { dbname, ...rest } = overrides
  const client = new pg.Client({ ...BASE, ...(dbname ? { database: dbname } : {}), ...rest })
  client.on('error', () => {}) // a terminated backend also emits 'error'; the query rejects too
  await client.connect()
  return client
}

async function closing(clients, fn) {
  try {
    return await fn()
  } finally {
    for (const c of clients) await c.end().catch(() => {})
  }
}

// Each scenario throws the error the request handler would log; warn() reports handled ones.
const SCENARIOS = {
  async exec(kase) {
    const client = await connect(kase.connect)
    await closing([client], async () => {
      for (const sql of kase.sql) await client.query(sql)
    })
  },
  async connect(kase) {
    const client = await connect(kase.connect)
    await client.end()
  },
  async cascade(kase, warn) {
    const client = await connect()
    await closing([client], async () => {
      await client.query('BEGIN')
      try {
        await client.query(kase.sql[0])
      } catch (err) {
        warn(err, 'row exists, updating instead')
        await client.query(kase.sql[1])
      }
    })
  },
  async deadlock() {
    const a = await connect()
    const b = await connect()
    await closing([a, b], async () => {
      const move = async (c, first, second) => {
        await c.query('BEGIN')
        await c.query('UPDATE accounts SET balance = balance - 1 WHERE id = $1', [first])
        await sleep(300)
        await c.query('UPDATE accounts SET balance = balance + 1 WHERE id = $1', [second])
        await c.query('COMMIT')
      }
      const results = await Promise.allSettled([move(a, 1, 2), move(b, 2, 1)])
      const failed = results.find((r) => r.status === 'rejected')
      if (failed) throw failed.reason
    })
  },
  async serialization() {
    const a = await connect()
    const b = await connect()
    await closing([a, b], async () => {
      await a.query('BEGIN ISOLATION LEVEL SERIALIZABLE')
      await a.query('SELECT balance FROM accounts WHERE id = 1')
      await b.query('UPDATE accounts SET balance = balance + 1 WHERE id = 1')
      await a.query('UPDATE accounts SET balance = balance - 1 WHERE id = 1')
    })
  },
  async nowait() {
    const a = await connect()
    const b = await connect()
    await closing([a, b], async () => {
      await a.query('BEGIN')
      await a.query('SELECT * FROM accounts WHERE id = 2 FOR UPDATE')
      await b.query('SELECT * FROM accounts WHERE id = 2 FOR UPDATE NOWAIT')
    })
  },
  cancel: () => interrupted('pg_cancel_backend'),
  terminate: () => interrupted('pg_terminate_backend'),
}

async function interrupted(how) {
  const victim = await connect()
  const admin = await connect()
  await closing([victim, admin], async () => {
    const pid = (await victim.query('SELECT pg_backend_pid() AS pid')).rows[0].pid
    const interrupt = (async () => {
      for (let i = 0; i < 100; i++) {
        const res = await admin.query(
          `SELECT ${how}(pid) FROM pg_stat_activity WHERE pid = $1 AND state = 'active' ` +
            "AND strpos(query, 'pg_sleep(5)') > 0",
          [pid],
        )
        if (res.rows.length) return
        await sleep(50)
      }
    })()
    try {
      await victim.query('SELECT pg_sleep(5)')
    } finally {
      await interrupt
    }
  })
}

async function main() {
  const cases = JSON.parse(readFileSync(casesPath, 'utf8'))
  for (const kase of cases) {
    const dest = pino.destination({ dest: path.join(outDir, `${kase.id}.pino.log`), sync: true })
    const logger = pino({ name: 'api' }, dest)
    logger.info({ driver: 'pg', port: 3000 }, 'server listening')
    const log = logger.child({ reqId: `req-${kase.id}`, route: 'POST /conformance' })
    log.info('incoming request')
    let status = 200
    try {
      await SCENARIOS[kase.scenario](kase, (err, msg) => log.warn({ err }, msg))
    } catch (err) {
      status = 500
      log.error({ err }, 'request failed')
    }
    log.info({ statusCode: status }, 'request completed')
    dest.flushSync()
  }
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
