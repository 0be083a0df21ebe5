// Regenerates every node-side sample from the live PostgreSQL: node drivers x log shapes,
// ORMs, pino-pretty, inspect dumps, a vitest run, and the incident stories. Run via generate.sh.
import { readFileSync, rmSync } from 'node:fs'
import path from 'node:path'
import { CASES } from './lib/cases.mjs'
import { createDatabase, resetSchema, SAMPLES_DIR } from './lib/common.mjs'
import {
  TMP_DIR,
  check,
  checkFailures,
  distinctRoots,
  readMeta,
  rootEntry,
  run,
  runMerged,
  writeExpected,
  writeSample,
} from './lib/output.mjs'
import { generateCleanupRace } from './incidents/cleanup-race/generate.mjs'
import { generateGotrueTrigger } from './incidents/gotrue-trigger/generate.mjs'
import { generateNoisy } from './incidents/noisy-10k/generate.mjs'

const DRIVERS = { pg: 'node-postgres (pg 8.23.1)', postgres: 'postgres.js 3.4.9' }
const SHAPES = {
  'err-first': 'logger.error(err)',
  'error-key': "logger.error({error: err}, ...) (a key pino's err serializer does not touch)",
  cause: "new Error('createUser failed', {cause: err}) under the default err serializer",
  errwithcause: 'the same wrapper with serializers: {err: stdSerializers.errWithCause}',
  child: 'a child logger with reqId/userId bindings and a grandchild with a jobId',
  isotime: 'timestamp: pino.stdTimeFunctions.isoTime and no name',
  'custom-level': 'customLevels {audit: 35, alert: 55}, the error logged at alert (55)',
  'level-label': 'formatters.level writing "level":"error" labels',
  'mixed-console': 'console.log lines interleaved with pino, and a U+2028 inside a message',
}
const ORMS = { knex: 'Knex 3.3.0', sequelize: 'Sequelize 6.37.8', typeorm: 'TypeORM 1.1.1' }
const PRISMA = { prisma: 'Prisma 7.10.0 (its driver adapter)' }
const checks = [] // [sample, file, needles]
const readText = (p) => readFileSync(p, 'utf8')

// The default err serializer keeps only a cause's message: no SQLSTATE in the "cause" shape.
function needlesOf(roots, fallback, withCode = true) {
  const out = roots.flatMap((r) => [withCode ? r.sqlstate : null, r.constraint])
  return out.length ? out : fallback
}

function capture(name, script, args, storyHead) {
  const meta = path.join(TMP_DIR, `${name}.json`)
  const res = run('node', [script, ...args, meta])
  if (res.status !== 0) throw new Error(`${name}: exit ${res.status}\n${res.stderr}`)
  if (res.stderr.trim()) throw new Error(`${name}: unexpected stderr\n${res.stderr}`)
  writeSample(name, 'app.pino.log', res.stdout)
  const found = distinctRoots(readMeta(meta).roots)
  const source = found.length
    ? 'Captured from PostgreSQL 15 on 127.0.0.1:5432'
    : 'Nothing listens on port 1, so Node reports ECONNREFUSED and no PostgreSQL error exists: ' +
      'the client-side connection failure is the finding (condition connection_failure)'
  let story = `${storyHead} ${source}; no tests ran, so nothing is explained or unexplained.`
  // A refused connection is a finding too (issue 2): SQLSTATE 08006, condition connection_failure.
  let roots = found.length
    ? found.map((f) => rootEntry(f))
    : [{ sqlstate: '08006', condition: 'connection_failure', constraint: null, table: null, explains: [] }]
  if (name.endsWith('-as-cause')) {
    // The default serializer keeps only the cause's message: the table and key fields are lost.
    roots = roots.map((r) => ({ ...r, table: null }))
    story +=
      ' The default serializer folds the cause into message and stack only, so the table and key' +
      ' fields are lost; only the constraint name survives.'
  }
  writeExpected(name, { story, roots })
  const withCode = !name.endsWith('-as-cause')
  checks.push([name, 'app.pino.log', needlesOf(found, ['ECONNREFUSED'], withCode)])
  return found
}

async function driverSamples() {
  for (const [driver, label] of Object.entries(DRIVERS)) {
    for (const [caseName, kase] of Object.entries(CASES)) {
      await resetSchema()
      capture(
        `node-${driver}-${caseName}`,
        'scripts/app.mjs',
        [driver, caseName],
        `An API handling ${kase.route} through ${label} hits "${caseName}" and logs it with ` +
          "pino as logger.error({err}, 'query failed'), then answers 500.",
      )
    }
    for (const [shape, how] of Object.entries(SHAPES)) {
      await resetSchema()
      capture(
        `node-${driver}-as-${shape}`,
        'scripts/app.mjs',
        [driver, `shape:${shape}`],
        `An API using ${label} logs a real database error with pino as ${how}.`,
      )
    }
  }
  await ormSamples(ORMS)
}

async function ormSamples(orms) {
  for (const [orm, label] of Object.entries(orms)) {
    for (const caseName of ['unique-violation', 'fk-child-insert']) {
      await resetSchema()
      capture(
        `node-${orm}-${caseName}`,
        'scripts/orm.mjs',
        [orm, caseName],
        `POST /users through ${label} (pg underneath) fails with "${caseName}"; the ORM's ` +
          "wrapper error is logged with pino as log.error({err}, 'createUser failed').",
      )
    }
  }
}

const PRETTY = [
  ['node-pretty-default', 'node-pg-as-child', [], 'default options'],
  ['node-pretty-translate', 'node-postgres-unique-violation', ['-t', 'SYS:standard'], '-t SYS:standard'],
  ['node-pretty-single', 'node-pg-in-failed-transaction', ['-S'], '-S (single line)'],
]

function prettySamples() {
  for (const [name, source, flags, how] of PRETTY) {
    const input = path.join(SAMPLES_DIR, source, 'app.pino.log')
    const res = run('node', ['node_modules/pino-pretty/bin.js', ...flags], {
      input: readText(input),
    })
    if (res.status !== 0) throw new Error(`${name}: pino-pretty failed\n${res.stderr}`)
    writeSample(name, 'app.pretty.log', res.stdout)
    const expected = JSON.parse(readText(path.join(SAMPLES_DIR, source, 'expected.json')))
    writeExpected(name, {
      story: `samples/${source}/app.pino.log rendered by the pino-pretty 13.2.0 CLI with ${how}.`,
      roots: expected.roots,
    })
    checks.push([name, 'app.pretty.log', needlesOf(expected.roots, [])])
  }
}

async function inspectSample() {
  await resetSchema()
  const first = run('node', ['scripts/inspect.mjs', 'console'])
  const second = run('node', ['scripts/inspect.mjs', 'unhandled'])
  writeSample('node-inspect', 'stderr.log', first.stderr + second.stderr)
  writeExpected('node-inspect', {
    story:
      'A script inserts a user into a missing org through pg and prints the error with ' +
      'console.error(err); a second run leaves the same rejection unhandled and Node crashes ' +
      'with its inspect dump. Both are 23503 users_org_id_fkey.',
    roots: [rootEntry({ sqlstate: '23503', constraint: 'users_org_id_fkey', table: 'users' })],
  })
  checks.push(['node-inspect', 'stderr.log', ['23503', 'users_org_id_fkey', 'Node.js v']])
}

// Prisma's own words as console.error and a crash print them (the server's fields are not in
// them, only the constraint; the check violation's message quotes the server's).
async function prismaInspectSample() {
  const name = 'node-prisma-inspect'
  await resetSchema()
  const first = run('node', ['scripts/prisma-inspect.mjs', 'console'])
  const second = run('node', ['scripts/prisma-inspect.mjs', 'unhandled'])
  writeSample(name, 'stderr.log', first.stderr + second.stderr)
  writeExpected(name, {
    story:
      'A script creates a user whose email is taken (P2002) and sets a negative age (P2039, ' +
      'a check violation Prisma does not map) through Prisma 7 on pg, printing each error with ' +
      'console.error(err); a second run inserts a user into a missing org (P2003) and leaves ' +
      'the rejection unhandled, so Node crashes with its inspect dump.',
    roots: [
      rootEntry({ sqlstate: '23505', constraint: 'users_email_key' }),
      rootEntry({ sqlstate: '23514', constraint: 'users_age_check', table: 'users' }),
      rootEntry({ sqlstate: '23503', constraint: 'users_org_id_fkey' }),
    ],
  })
  const needles = ["code: 'P2002'", "code: 'P2039'", "code: 'P2003'", 'users_org_id_fkey', 'Node.js v']
  checks.push([name, 'stderr.log', needles])
}

const VITEST_SAMPLES = [
  'node-vitest-pg',
  'node-vitest-prisma',
  'incident-cleanup-race',
  'incident-gotrue-trigger',
  'incident-noisy-10k',
]
const VITEST = 'node node_modules/vitest/vitest.mjs run --reporter=default --reporter=junit'

// One run of a vitest project of this directory (the users tests: two fail on database
// errors, one on a plain assertion): run.log (stdout and stderr merged) and junit.xml.
const USERS = 'tests/users.test.js > users > '
function vitestRun(name, root, story, table, unexplained, needles) {
  const junit = path.join(TMP_DIR, `${name}.xml`)
  const res = runMerged(`${VITEST} --root ${root} --outputFile.junit=${junit}`)
  writeSample(name, 'run.log', res.stdout)
  writeSample(name, 'junit.xml', readText(junit))
  writeExpected(name, {
    story,
    roots: [
      rootEntry({ sqlstate: '23505', constraint: 'users_email_key', table }, [
        `${USERS}signs up the seeded admin again`,
      ]),
      rootEntry({ sqlstate: '23503', constraint: 'users_org_id_fkey', table }, [
        `${USERS}creates a user in a new org`,
      ]),
    ],
    unexplained: [`${USERS}${unexplained}`],
  })
  const found = ['users_email_key', 'users_org_id_fkey']
  checks.push([name, 'run.log', [...needles, ...found, 'FAIL  tests/users.test.js']])
  checks.push([name, 'junit.xml', [...found, '<testcase']])
}

function vitestSample() {
  vitestRun(
    'node-vitest-pg',
    'vitest-basic',
    'A vitest suite for a users module (pg + pino to stdout, interleaved with the runner ' +
      "text): one test re-inserts the seeded admin's email (23505 users_email_key), one " +
      'creates a user in an org that does not exist (23503 users_org_id_fkey), and one fails ' +
      'on a display-name assertion with no database involved.',
    'users',
    'formats the display name',
    ['23505'],
  )
}

// The same tests written against Prisma 7: vitest prints Prisma's own message for a failure
// (the call, the test's source lines, what failed), not the server's; the table is not in it.
function vitestPrismaSample() {
  vitestRun(
    'node-vitest-prisma',
    'vitest-prisma',
    'The users tests through Prisma 7 (on pg, its driver adapter) under vitest: one test ' +
      "re-creates the seeded admin's email (P2002, 23505 users_email_key), one creates a user " +
      'in an org that does not exist (P2003, 23503 users_org_id_fkey), and one counts the ' +
      'users with a wrong expectation, no database error involved.',
    null,
    'counts users',
    [],
  )
}

// Parts that can be regenerated alone: `node generate.mjs cleanup-race noisy-10k` (default: all).
const PARTS = {
  drivers: async () => driverSamples(),
  pretty: async () => prettySamples(),
  inspect: async () => inspectSample(),
  prisma: async () => {
    await ormSamples(PRISMA)
    await prismaInspectSample()
    await resetSchema()
    await vitestPrismaSample()
  },
  vitest: async () => vitestSample(),
  'cleanup-race': async () => checks.push(...(await generateCleanupRace())),
  'gotrue-trigger': async () => checks.push(...(await generateGotrueTrigger())),
  'noisy-10k': async () => checks.push(...(await generateNoisy())),
}

async function main() {
  const wanted = process.argv.slice(2)
  const unknown = wanted.filter((p) => !(p in PARTS))
  if (unknown.length) {
    console.error(`unknown part(s): ${unknown.join(', ')}; parts: ${Object.keys(PARTS).join(', ')}`)
    process.exit(2)
  }
  await createDatabase()
  for (const [name, part] of Object.entries(PARTS)) {
    if (!wanted.length || wanted.includes(name)) await part()
  }
  const problems = checks.flatMap(([name, file, needles]) => check(name, file, needles))
  const ran = (sample) => !wanted.length || wanted.some((p) => sample.endsWith(p) || (p === 'vitest' && sample === 'node-vitest-pg'))
  for (const name of VITEST_SAMPLES.filter(ran)) problems.push(...checkFailures(name))
  rmSync(TMP_DIR, { recursive: true, force: true })
  if (problems.length) {
    console.error(`sanity check failed:\n  ${problems.join('\n  ')}`)
    process.exit(1)
  }
  console.log(`ok: ${checks.length} sample files written and checked under samples/`)
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
