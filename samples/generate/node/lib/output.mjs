// Writing samples: deterministic path normalisation, expected.json, and the sanity check.
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs'
import { hostname } from 'node:os'
import path from 'node:path'
import { spawnSync } from 'node:child_process'
import { GEN_DIR, REPO_DIR, SAMPLES_DIR, conditionOf } from './common.mjs'

export const TMP_DIR = path.join('/tmp', `triage-node-gen-${process.pid}`)
mkdirSync(TMP_DIR, { recursive: true })

const escapeRe = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

// Longest first: the generator lives inside the repo. Applied to every captured byte, in order:
//   <generator dir> -> /app, <repo dir> -> /repo, /tmp/<anything> -> /tmp/run, host name -> ci-runner
const SUBSTITUTIONS = [
  [new RegExp(escapeRe(GEN_DIR), 'g'), '/app'],
  [new RegExp(escapeRe(REPO_DIR), 'g'), '/repo'],
  [/\/tmp\/[A-Za-z0-9._-]+/g, '/tmp/run'],
  [new RegExp(`"hostname":"${escapeRe(hostname())}"`, 'g'), '"hostname":"ci-runner"'],
  [new RegExp(`hostname="${escapeRe(hostname())}"`, 'g'), 'hostname="ci-runner"'],
]

export function normalise(text) {
  let out = text
  for (const [re, to] of SUBSTITUTIONS) out = out.replace(re, to)
  return out
}

// Plain text (no ANSI colours) and UTC, so runs on any machine print the same way.
export const CHILD_ENV = { ...process.env, NO_COLOR: '1', TZ: 'UTC' }
delete CHILD_ENV.FORCE_COLOR

/** Run a command, return {stdout, stderr, status}; stdout and stderr kept apart. */
export function run(cmd, args, opts = {}) {
  const res = spawnSync(cmd, args, {
    cwd: GEN_DIR,
    env: CHILD_ENV,
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
    ...opts,
  })
  if (res.error) throw res.error
  return res
}

/** Run a command with stdout and stderr sent to one file descriptor, as `2>&1` does. */
export function runMerged(shell) {
  return run('bash', ['-c', `${shell} 2>&1`])
}

export function sampleDir(name) {
  const dir = path.join(SAMPLES_DIR, name)
  mkdirSync(dir, { recursive: true })
  return dir
}

export function writeSample(name, file, text) {
  const target = path.join(sampleDir(name), file)
  writeFileSync(target, normalise(text))
  return target
}

export function rootEntry(f, explains = []) {
  return {
    sqlstate: f.sqlstate,
    condition: conditionOf(f.sqlstate),
    constraint: f.constraint ?? null,
    table: f.table ?? null,
    explains,
  }
}

/** Distinct roots by (sqlstate, constraint), first occurrence first. */
export function distinctRoots(found) {
  const seen = new Set()
  const out = []
  for (const f of found) {
    const key = `${f.sqlstate}:${f.constraint}`
    if (!seen.has(key)) {
      seen.add(key)
      out.push(f)
    }
  }
  return out
}

export function writeExpected(name, { story, reported = null, roots, unexplained = [], claim = null }) {
  const body = { story, reported, roots, unexplained, claim }
  writeFileSync(path.join(sampleDir(name), 'expected.json'), JSON.stringify(body, null, 2) + '\n')
}

export function readMeta(file) {
  return JSON.parse(readFileSync(file, 'utf8'))
}

/** Every file of the sample must exist, be non-empty and contain each needle. */
export function check(name, file, needles) {
  const target = path.join(SAMPLES_DIR, name, file)
  const problems = []
  if (!existsSync(target)) return [`${name}/${file}: missing`]
  const text = readFileSync(target, 'utf8')
  if (!text.trim()) problems.push(`${name}/${file}: empty`)
  for (const needle of needles) {
    if (needle && !text.includes(needle)) problems.push(`${name}/${file}: no ${JSON.stringify(needle)}`)
  }
  if (text.includes(GEN_DIR) || text.includes(REPO_DIR)) problems.push(`${name}/${file}: path not normalised`)
  return problems
}

const unescapeXml = (s) =>
  s.replace(/&gt;/g, '>').replace(/&lt;/g, '<').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&')

/** The failing test ids of a vitest JUnit file must be exactly those expected.json names. */
export function checkFailures(name) {
  const dir = path.join(SAMPLES_DIR, name)
  const xml = readFileSync(path.join(dir, 'junit.xml'), 'utf8')
  const expected = JSON.parse(readFileSync(path.join(dir, 'expected.json'), 'utf8'))
  const failed = []
  const re = /<testcase classname="([^"]*)" name="([^"]*)"[^>]*>([\s\S]*?)<\/testcase>/g
  for (const m of xml.matchAll(re)) {
    if (m[3].includes('<failure')) failed.push(`${unescapeXml(m[1])} > ${unescapeXml(m[2])}`)
  }
  const want = [...expected.roots.flatMap((r) => r.explains), ...expected.unexplained]
  const missing = want.filter((t) => !failed.includes(t))
  const extra = failed.filter((t) => !want.includes(t))
  return [...missing.map((t) => `${name}: expected failure did not happen: ${t}`),
    ...extra.map((t) => `${name}: unexpected failure: ${t}`)]
}
