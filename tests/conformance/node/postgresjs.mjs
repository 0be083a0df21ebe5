// The postgres.js (`postgres` package) scenarios: the same cases as pg.mjs, the driver's own way
// (tagged/unsafe queries, sql.begin for transactions, one max:1 instance per session).
import { require, sleep, target } from './modules.mjs'

const postgres = require('postgres')

let BASE = {}

function session(overrides = {}) {
  const { host, port, user, database } = target(BASE, overrides)
  return postgres({ host, port, user, database, max: 1, connect_timeout: 5, onnotice: () => {} })
}

async function closing(sessions, fn) {
  try {
    return await fn()
  } finally {
    for (const s of sessions) await s.end({ timeout: 1 }).catch(() => {})
  }
}

const SCENARIOS = {
  async exec(kase) {
    const sql = session(kase.connect)
    await closing([sql], async () => {
      // SET statement_timeout must reach the same connection as the query: max is 1.
      for (const text of kase.sql) await sql.unsafe(text)
    })
  },
  async connect(kase) {
    const sql = session(kase.connect)
    await closing([sql], () => sql`SELECT 1`)
  },
  async cascade(kase, warn) {
    const sql = session()
    await closing([sql], () =>
      sql.begin(async (tx) => {
        try {
          await tx.unsafe(kase.sql[0])
        } catch (err) {
          warn(err, 'row exists, updating instead')
          await tx.unsafe(kase.sql[1])
        }
      }),
    )
  },
  async deadlock() {
    const a = session()
    const b = session()
    await closing([a, b], async () => {
      const move = (s, first, second) =>
        s.begin(async (tx) => {
          await tx`UPDATE accounts SET balance = balance - 1 WHERE id = ${first}`
          await sleep(300)
          await tx`UPDATE accounts SET balance = balance + 1 WHERE id = ${second}`
        })
      const results = await Promise.allSettled([move(a, 1, 2), move(b, 2, 1)])
      const failed = results.find((r) => r.status === 'rejected')
      if (failed) throw failed.reason
    })
  },
  async serialization() {
    const a = session()
    const b = session()
    await closing([a, b], () =>
      a.begin('isolation level serializable', async (tx) => {
        await tx`SELECT balance FROM accounts WHERE id = 1`
        await b`UPDATE accounts SET balance = balance + 1 WHERE id = 1`
        await tx`UPDATE accounts SET balance = balance - 1 WHERE id = 1`
      }),
    )
  },
  async nowait() {
    const a = session()
    const b = session()
    await closing([a, b], () =>
      a.begin(async (tx) => {
        await tx`SELECT * FROM accounts WHERE id = 2 FOR UPDATE`
        await b`SELECT * FROM accounts WHERE id = 2 FOR UPDATE NOWAIT`
      }),
    )
  },
  cancel: () => interrupted('pg_cancel_backend'),
  terminate: () => interrupted('pg_terminate_backend'),
}

async function interrupted(how) {
  const victim = session()
  const admin = session()
  await closing([victim, admin], async () => {
    const [{ pid }] = await victim`SELECT pg_backend_pid() AS pid`
    const interrupt = (async () => {
      for (let i = 0; i < 100; i++) {
        const rows = await admin.unsafe(
          `SELECT ${how}(pid) FROM pg_stat_activity WHERE pid = $1 AND state = 'active' ` +
            "AND strpos(query, 'pg_sleep(5)') > 0",
          [pid],
        )
        if (rows.length) return
        await sleep(50)
      }
    })()
    try {
      await victim`SELECT pg_sleep(5)`
    } finally {
      await interrupt
    }
  })
}

export function open(base) {
  BASE = base
  return { scenario: (kase, warn) => SCENARIOS[kase.scenario](kase, warn), inspect: false, close: async () => {} }
}
