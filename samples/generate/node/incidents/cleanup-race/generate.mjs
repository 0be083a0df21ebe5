// incident-cleanup-race: a test's cleanup deletes the course before its queued job writes
// job_status; retried auth warnings nearby look like the culprit but recovered.
import { rmSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { TMP_DIR, rootEntry, runMerged, writeExpected, writeSample } from '../../lib/output.mjs'

const NAME = 'incident-cleanup-race'
const FILE = 'tests/analysis.test.js > course analysis > '

export async function generateCleanupRace() {
  const serviceLog = path.join(TMP_DIR, 'cleanup-race-service.log')
  const junit = path.join(TMP_DIR, 'cleanup-race-junit.xml')
  rmSync(serviceLog, { force: true })
  const res = runMerged(
    `SERVICE_LOG=${serviceLog} node node_modules/vitest/vitest.mjs run ` +
      '--root incidents/cleanup-race --reporter=default --reporter=junit ' +
      `--outputFile.junit=${junit}`,
  )
  writeSample(NAME, 'run.log', res.stdout)
  writeSample(NAME, 'service.pino.log', readFileSync(serviceLog, 'utf8'))
  writeSample(NAME, 'junit.xml', readFileSync(junit, 'utf8'))
  writeExpected(NAME, {
    story:
      "A vitest suite uploads a course and queues its analysis job; the test's afterEach " +
      'cleanup deletes the course right away without waiting for the job. 100 ms later the ' +
      'job (jobId job-0001) inserts into job_status and fails with 23503 ' +
      'job_status_course_id_fkey (course gone), so the next two tests see the job "failed" and ' +
      'no status row. Earlier, the auth helper logged WARN "Auth attempt 1 failed, retrying" ' +
      'and then "Auth attempt 2 succeeded"; creating an auth user also passed, so the ticket ' +
      "blaming auth user creation is contradicted.",
    reported: 'auth user creation is completely failing',
    roots: [
      rootEntry({ sqlstate: '23503', constraint: 'job_status_course_id_fkey', table: 'job_status' }, [
        `${FILE}analysis of the uploaded course completes`,
        `${FILE}the course page shows the analysis status`,
      ]),
    ],
    unexplained: [],
    claim: 'contradicted',
  })
  const fk = ['23503', 'job_status_course_id_fkey']
  return [
    [NAME, 'service.pino.log', [...fk, '"jobId":"job-0001"']],
    [NAME, 'run.log', ['Auth attempt 1 failed, retrying', 'Auth attempt 2 succeeded', 'FAIL  tests/analysis.test.js']],
    [NAME, 'junit.xml', ['analysis of the uploaded course completes', '<failure']],
  ]
}
