// Conformance: provoke every case through one node driver and log it as a small API would.
// usage: node provoke.mjs <pg|postgresjs|knex|sequelize|typeorm|prisma> <cases.json> <database> <out dir>
// Writes <case>.pino.log per case; with pg also <case>.inspect.log, the same errors as
// console.error(err) prints them (Node's util.inspect form, what reaches stderr).
import { createWriteStream, readFileSync } from 'node:fs'
import { Console } from 'node:console'
import path from 'node:path'
import { require } from './modules.mjs'

const pino = require('pino')
const [driver, casesPath, database, outDir] = process.argv.slice(2)
const BASE = { host: '127.0.0.1', port: 5432, user: 'postgres', database }
const OPENERS = {
  pg: async () => (await import('./pg.mjs')).open(BASE),
  postgresjs: async () => (await import('./postgresjs.mjs')).open(BASE),
  knex: async () => (await import('./orm.mjs')).open('knex', BASE),
  sequelize: async () => (await import('./orm.mjs')).open('sequelize', BASE),
  typeorm: async () => (await import('./orm.mjs')).open('typeorm', BASE),
  prisma: async () => (await import('./orm.mjs')).open('prisma', BASE),
}

function finished(stream) {
  return new Promise((resolve) => stream.end(resolve))
}

async function provoke(runner, kase) {
  const dest = pino.destination({ dest: path.join(outDir, `${kase.id}.pino.log`), sync: true })
  const logger = pino({ name: 'api' }, dest)
  // A Console over a file writes exactly what console.error writes to a non-TTY stderr.
  const text = runner.inspect ? createWriteStream(path.join(outDir, `${kase.id}.inspect.log`)) : null
  const stderr = text ? new Console({ stdout: text, stderr: text }) : null
  logger.info({ driver, port: 3000 }, 'server listening')
  const log = logger.child({ reqId: `req-${kase.id}`, route: 'POST /conformance' })
  log.info('incoming request')
  let status = 200
  const warn = (err, msg) => {
    log.warn({ err }, msg)
    stderr?.warn(err)
  }
  try {
    await runner.scenario(kase, warn)
  } catch (err) {
    status = 500
    log.error({ err }, 'request failed')
    stderr?.error(err)
  }
  log.info({ statusCode: status }, 'request completed')
  dest.flushSync()
  if (text) await finished(text)
}

async function main() {
  const cases = JSON.parse(readFileSync(casesPath, 'utf8'))
  const runner = await OPENERS[driver]()
  try {
    for (const kase of cases) await provoke(runner, kase)
  } finally {
    await runner.close()
  }
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
