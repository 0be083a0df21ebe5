// incident-noisy-10k: 10,000+ lines of request logs hiding one 23505 that fails two tests.
import { readFileSync, rmSync } from 'node:fs'
import path from 'node:path'
import { TMP_DIR, rootEntry, runMerged, writeExpected, writeSample } from '../../lib/output.mjs'

const NAME = 'incident-noisy-10k'
const FILE = 'tests/shop.test.js > shop > '

export async function generateNoisy() {
  const serviceLog = path.join(TMP_DIR, 'noisy-service.log')
  const junit = path.join(TMP_DIR, 'noisy-junit.xml')
  rmSync(serviceLog, { force: true })
  const res = runMerged(
    `SERVICE_LOG=${serviceLog} node node_modules/vitest/vitest.mjs run ` +
      '--root incidents/noisy-10k --reporter=default --reporter=junit ' +
      `--outputFile.junit=${junit}`,
  )
  writeSample(NAME, 'run.log', res.stdout)
  const log = readFileSync(serviceLog, 'utf8')
  writeSample(NAME, 'app.pino.log', log)
  writeSample(NAME, 'junit.xml', readFileSync(junit, 'utf8'))
  const lines = log.split('\n').length - 1
  if (lines < 10000) throw new Error(`${NAME}: only ${lines} log lines`)
  writeExpected(NAME, {
    story:
      `A shop service logs every request with pino (${lines} lines: debug lookups, info ` +
      'request lines, a few rate-limit warnings) during a vitest run. Among them is exactly ' +
      'one database error: checkout of cart 98 derives the same idempotency key as cart 1 ' +
      '(ck-1) and fails with 23505 orders_idempotency_key_key. It fails the checkout test ' +
      'directly and stops the loop, so the ledger holds 970 instead of 1200, failing the totals test. ' +
      'Nothing in the logs ties the totals assertion to the error (no id, no chain, and the error is the ' +
      "checkout test's own), so an evidence-only triage leaves it unexplained, after the root.",
    roots: [
      rootEntry({ sqlstate: '23505', constraint: 'orders_idempotency_key_key', table: 'orders' }, [
        `${FILE}checks out every cart`,
      ]),
    ],
    unexplained: [`${FILE}order totals match the ledger`],
  })
  return [
    [NAME, 'app.pino.log', ['23505', 'orders_idempotency_key_key', 'rate limit nearly exhausted']],
    [NAME, 'run.log', ['orders_idempotency_key_key', 'FAIL  tests/shop.test.js']],
    [NAME, 'junit.xml', ['checks out every cart', '<failure']],
  ]
}
