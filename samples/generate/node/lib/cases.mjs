// The errors we provoke for real, each as {route, run(drv, caught)}; caught(err, role) reports.
// role "root" is the error a person must fix; "cascade" is a consequence (25P02 after the root).

async function attempt(caught, role, fn) {
  try {
    await fn()
  } catch (err) {
    caught(err, role)
  }
}

export const CASES = {
  'fk-child-insert': {
    route: 'POST /users',
    run: (drv, caught) =>
      attempt(caught, 'root', () =>
        drv.query('INSERT INTO users (org_id, email) VALUES ($1, $2)', [99, 'b@x.io']),
      ),
  },
  'fk-parent-delete': {
    route: 'DELETE /orgs/1',
    run: (drv, caught) =>
      attempt(caught, 'root', () => drv.query('DELETE FROM orgs WHERE id = $1', [1])),
  },
  'unique-violation': {
    route: 'POST /users',
    run: (drv, caught) =>
      attempt(caught, 'root', () =>
        drv.query('INSERT INTO users (org_id, email) VALUES ($1, $2)', [1, 'a@x.io']),
      ),
  },
  'not-null-violation': {
    route: 'POST /users',
    run: (drv, caught) =>
      attempt(caught, 'root', () =>
        drv.query('INSERT INTO users (org_id, email) VALUES ($1, $2)', [1, null]),
      ),
  },
  'check-violation': {
    route: 'PATCH /users/1',
    run: (drv, caught) =>
      attempt(caught, 'root', () => drv.query('UPDATE users SET age = $1 WHERE id = 1', [-3])),
  },
  'on-conflict-no-unique': {
    route: 'POST /events',
    run: (drv, caught) =>
      attempt(caught, 'root', () =>
        drv.query('INSERT INTO events (kind) VALUES ($1) ON CONFLICT (kind) DO NOTHING', [
          'signup',
        ]),
      ),
  },
  'undefined-column': {
    route: 'GET /users',
    run: (drv, caught) =>
      attempt(caught, 'root', () => drv.query('SELECT id, emial FROM users WHERE id = $1', [1])),
  },
  'undefined-table': {
    route: 'GET /profiles',
    run: (drv, caught) =>
      attempt(caught, 'root', () =>
        drv.query('SELECT * FROM user_profiles WHERE user_id = $1', [1]),
      ),
  },
  'invalid-uuid': {
    route: 'GET /sessions/not-a-uuid',
    run: (drv, caught) =>
      attempt(caught, 'root', () =>
        drv.query('SELECT * FROM sessions WHERE id = $1', ['not-a-uuid']),
      ),
  },
  'in-failed-transaction': {
    route: 'POST /signup',
    // The duplicate insert is caught and the handler carries on inside the aborted transaction.
    // postgres.js then rejects sql.begin() with the first error again: logged as "outer".
    run: (drv, caught) =>
      attempt(caught, 'outer', () =>
        drv.transaction(async (q) => {
          await attempt(caught, 'root', () =>
            q('INSERT INTO users (org_id, email) VALUES ($1, $2)', [1, 'a@x.io']),
          )
          await attempt(caught, 'cascade', () =>
            q('INSERT INTO events (kind) VALUES ($1)', ['signup']),
          )
        }),
      ),
  },
  deadlock: {
    route: 'POST /transfers',
    run: async (drv, caught) => {
      const transfer = (first, second, pause) =>
        drv.session(async (q) => {
          await q('BEGIN')
          await q('UPDATE accounts SET balance = balance - 10 WHERE id = $1', [first])
          await new Promise((resolve) => setTimeout(resolve, pause))
          await q('UPDATE accounts SET balance = balance + 10 WHERE id = $1', [second])
          await q('COMMIT')
        })
      const results = await Promise.allSettled([transfer(1, 2, 300), transfer(2, 1, 300)])
      for (const r of results) if (r.status === 'rejected') caught(r.reason, 'root')
    },
  },
  'statement-timeout': {
    route: 'GET /reports/slow',
    run: (drv, caught) =>
      attempt(caught, 'root', () =>
        drv.transaction(async (q) => {
          await q("SET LOCAL statement_timeout = '100ms'")
          await q('SELECT pg_sleep(2)')
        }),
      ),
  },
  'missing-database': {
    route: 'GET /health',
    run: (drv, caught) =>
      attempt(caught, 'root', () => drv.connectWith({ database: 'triage_node_missing' })),
  },
  'missing-role': {
    route: 'GET /health',
    run: (drv, caught) =>
      attempt(caught, 'root', () => drv.connectWith({ user: 'triage_node_nobody' })),
  },
  'connection-refused': {
    route: 'GET /health',
    run: (drv, caught) => attempt(caught, 'root', () => drv.connectWith({ port: 1 })),
  },
}
