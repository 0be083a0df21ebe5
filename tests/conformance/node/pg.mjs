// The node-postgres (`pg`) scenarios: each throws the error the request handler would log.
import { require, sleep, target } from './modules.mjs'

const pg = require('pg')

let BASE = {}

async function connect(overrides = {}) {
  const client = new pg.Client(target(BASE, overrides))
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

export function open(base) {
  BASE = base
  return { scenario: (kase, warn) => SCENARIOS[kase.scenario](kase, warn), inspect: true, close: async () => {} }
}
