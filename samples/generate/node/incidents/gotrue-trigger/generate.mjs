// incident-gotrue-trigger: INSERT INTO auth.users fails inside the handle_new_user() trigger
// (23503 profiles_org_id_fkey); the client only sees "Database error saving new user".
import { closeSync, existsSync, openSync, readFileSync, readSync, rmSync, statSync } from 'node:fs'
import path from 'node:path'
import { runSql } from '../../lib/common.mjs'
import { TMP_DIR, rootEntry, runMerged, writeExpected, writeSample } from '../../lib/output.mjs'

const NAME = 'incident-gotrue-trigger'
const DB = 'triage_node_gotrue'
const SERVER_LOG = '/var/log/postgresql/postgresql-15-main.log'
const FILE = 'tests/signup.test.js > sign-up > '

const logSize = () => (existsSync(SERVER_LOG) ? statSync(SERVER_LOG).size : 0)

function readFrom(file, offset) {
  const size = statSync(file).size - offset
  const buf = Buffer.alloc(Math.max(size, 0))
  const fd = openSync(file, 'r')
  readSync(fd, buf, 0, buf.length, offset)
  closeSync(fd)
  return buf.toString('utf8')
}

// Keep only our database's lines (Debian prefix "%m [%p] %q%u@%d ") and their TAB continuations.
function ourServerLines(text) {
  const out = []
  let keep = false
  for (const line of text.split('\n')) {
    if (line.startsWith('\t')) {
      if (keep) out.push(line)
      continue
    }
    keep = line.includes(`] postgres@${DB} `)
    if (keep) out.push(line)
  }
  return out.join('\n') + '\n'
}

export async function generateGotrueTrigger() {
  await runSql(`DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`, 'postgres')
  await runSql(`CREATE DATABASE ${DB}`, 'postgres')
  const serviceLog = path.join(TMP_DIR, 'gotrue-service.log')
  const junit = path.join(TMP_DIR, 'gotrue-junit.xml')
  rmSync(serviceLog, { force: true })
  const offset = logSize()
  const res = runMerged(
    `TRIAGE_NODE_DB=${DB} SERVICE_LOG=${serviceLog} node node_modules/vitest/vitest.mjs run ` +
      '--root incidents/gotrue-trigger --reporter=default --reporter=junit ' +
      `--outputFile.junit=${junit}`,
  )
  writeSample(NAME, 'run.log', res.stdout)
  writeSample(NAME, 'service.pino.log', readFileSync(serviceLog, 'utf8'))
  writeSample(NAME, 'junit.xml', readFileSync(junit, 'utf8'))
  const checks = [
    [NAME, 'service.pino.log', ['23503', 'profiles_org_id_fkey', 'handle_new_user', '500: Database error saving new user']],
    [NAME, 'run.log', ['Failed to create user record', 'FAIL  tests/signup.test.js']],
  ]
  // The server log is readable only with the right permissions; skip it quietly otherwise.
  try {
    await new Promise((resolve) => setTimeout(resolve, 300)) // let the logging collector flush
    writeSample(NAME, 'postgresql.log', ourServerLines(readFrom(SERVER_LOG, offset)))
    checks.push([NAME, 'postgresql.log', ['profiles_org_id_fkey', 'handle_new_user', 'CONTEXT:']])
  } catch (err) {
    console.error(`${NAME}: server log not captured (${err.message})`)
  }
  writeExpected(NAME, {
    story:
      'A GoTrue-like auth service inserts sign-ups into auth.users; the AFTER INSERT trigger ' +
      'public.handle_new_user() (SECURITY DEFINER) copies each user into public.profiles with the ' +
      "org_id from the invite metadata. Two invites point at an org that no longer exists, so the " +
      "trigger's insert fails with 23503 profiles_org_id_fkey (CONTEXT names handle_new_user); " +
      'the service logs the pg error and "500: Database error saving new user", and the two ' +
      'sign-up tests fail with "Failed to create user record".',
    roots: [
      rootEntry({ sqlstate: '23503', constraint: 'profiles_org_id_fkey', table: 'profiles' }, [
        `${FILE}an invited member signs up`,
        `${FILE}a member signs up from the magic link`,
      ]),
    ],
  })
  return checks
}
