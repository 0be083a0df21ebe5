// A tiny "API" that runs one provoked case and logs it with pino to stdout in one shape.
// usage: node scripts/app.mjs <pg|postgres> <case|shape:NAME> <meta.json>
import { writeFileSync } from 'node:fs'
import pino from 'pino'
import { CASES } from '../lib/cases.mjs'
import { makeDriver, pgFields } from '../lib/drivers.mjs'

const dest = () => pino.destination({ dest: 1, sync: true })

// How the error reaches the log. Each shape names the case it runs.
const SHAPES = {
  'err-key': {
    logger: () => pino({ name: 'api' }, dest()),
    report: (log, err) => log.error({ err }, 'query failed'),
  },
  'err-first': {
    case: 'fk-child-insert',
    logger: () => pino({ name: 'api' }, dest()),
    report: (log, err) => log.error(err),
  },
  'error-key': {
    case: 'unique-violation',
    logger: () => pino({ name: 'api' }, dest()),
    report: (log, err) => log.error({ error: err }, 'query failed'),
  },
  cause: {
    case: 'unique-violation',
    logger: () => pino({ name: 'api' }, dest()),
    report: (log, err) =>
      log.error({ err: new Error('createUser failed', { cause: err }) }, 'request failed'),
  },
  errwithcause: {
    case: 'unique-violation',
    logger: () =>
      pino({ name: 'api', serializers: { err: pino.stdSerializers.errWithCause } }, dest()),
    report: (log, err) =>
      log.error({ err: new Error('createUser failed', { cause: err }) }, 'request failed'),
  },
  child: {
    case: 'fk-child-insert',
    logger: () => pino({ name: 'worker' }, dest()),
    child: { reqId: 'req-7f3a', userId: 42 },
    job: { jobId: 'job-1842' },
    report: (log, err) => log.error({ err }, 'job failed'),
  },
  isotime: {
    case: 'not-null-violation',
    logger: () => pino({ timestamp: pino.stdTimeFunctions.isoTime }, dest()),
    report: (log, err) => log.error({ err }, 'query failed'),
  },
  'custom-level': {
    case: 'check-violation',
    logger: () => pino({ name: 'api', customLevels: { audit: 35, alert: 55 } }, dest()),
    report: (log, err) => log.alert({ err }, 'query failed'),
    extra: (log) => log.audit({ actor: 'admin@x.io' }, 'profile update requested'),
  },
  'level-label': {
    case: 'undefined-column',
    logger: () =>
      pino({ name: 'api', formatters: { level: (label) => ({ level: label }) } }, dest()),
    report: (log, err) => log.error({ err }, 'query failed'),
  },
  'mixed-console': {
    case: 'unique-violation',
    logger: () => pino({ name: 'api' }, dest()),
    report: (log, err) => {
      console.log('retrying insert for a@x.io without cache')
      log.error({ err }, 'query failed')
      console.log('[debug] pool stats: total=1 idle=1 waiting=0')
    },
    extra: (log) => {
      console.log('> api@1.0.0 start')
      console.log('> node server.js')
      log.info({ note: 'first line\u2028second line' }, 'imported note\u2028with a line separator')
    },
  },
}

async function main() {
  const [driverName, mode, metaPath] = process.argv.slice(2)
  const shapeName = mode.startsWith('shape:') ? mode.slice(6) : 'err-key'
  const shape = SHAPES[shapeName]
  const caseName = mode.startsWith('shape:') ? shape.case : mode
  const kase = CASES[caseName]
  const logger = shape.logger()
  const roots = []
  const drv = makeDriver(driverName)

  logger.info({ driver: driverName, port: 3000 }, 'server listening')
  shape.extra?.(logger)
  let log = logger.child({ reqId: 'req-1', route: kase.route })
  if (shape.child) log = logger.child(shape.child)
  log.info('incoming request')
  if (shape.job) {
    log = log.child(shape.job)
    log.info('job started')
  }
  let failed = false
  await kase.run(drv, (err, role) => {
    failed = true
    shape.report(log, err)
    const f = pgFields(err)
    if (role === 'root' && f.sqlstate) roots.push(f)
  })
  log.info({ statusCode: failed ? 500 : 200 }, 'request completed')
  await drv.end()
  writeFileSync(metaPath, JSON.stringify({ case: caseName, shape: shapeName, roots }, null, 2))
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
