// Shared by every capture script: connection settings, the scratch schema, condition names.
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import path from 'node:path'
import pg from 'pg'

export const GEN_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
export const REPO_DIR = path.resolve(GEN_DIR, '..', '..', '..')
export const SAMPLES_DIR = path.join(REPO_DIR, 'samples')

export const DB_NAME = process.env.TRIAGE_NODE_DB || 'triage_node'
export const PG = { host: '127.0.0.1', port: 5432, user: 'postgres', database: DB_NAME }
export const PG_URL = `postgres://postgres@127.0.0.1:5432/${DB_NAME}`

// Fixed ids keep every run's SQL and DETAIL text identical (only pids and times change).
export const SCHEMA_SQL = `
DROP SCHEMA IF EXISTS public CASCADE;
CREATE SCHEMA public;
CREATE TABLE orgs (id int PRIMARY KEY, name text NOT NULL);
CREATE TABLE users (
  id serial PRIMARY KEY,
  org_id int NOT NULL REFERENCES orgs(id),
  email text NOT NULL UNIQUE,
  age int CONSTRAINT users_age_check CHECK (age >= 0)
);
CREATE TABLE sessions (id uuid PRIMARY KEY, user_id int REFERENCES users(id));
CREATE TABLE accounts (id int PRIMARY KEY, balance int NOT NULL);
CREATE TABLE events (id serial, kind text NOT NULL);
INSERT INTO orgs VALUES (1, 'acme');
INSERT INTO users (org_id, email, age) VALUES (1, 'a@x.io', 30);
INSERT INTO accounts VALUES (1, 100), (2, 100);
`

/** Run SQL on the scratch database with a throwaway client. */
export async function runSql(sql, database = DB_NAME) {
  const client = new pg.Client({ ...PG, database })
  await client.connect()
  try {
    await client.query(sql)
  } finally {
    await client.end()
  }
}

/** Drop and recreate the scratch database so every run starts from the same state. */
export async function createDatabase() {
  await runSql(`DROP DATABASE IF EXISTS ${DB_NAME} WITH (FORCE)`, 'postgres')
  await runSql(`CREATE DATABASE ${DB_NAME}`, 'postgres')
}

export async function resetSchema(extra = '') {
  await runSql(SCHEMA_SQL + extra)
}

let conditions = null
/** SQLSTATE -> condition name, read from PostgreSQL's own errcodes.txt shipped in triage. */
export function conditionOf(sqlstate) {
  if (!sqlstate) return null
  if (!conditions) {
    conditions = new Map()
    const text = readFileSync(path.join(REPO_DIR, 'triage', 'data', 'errcodes.txt'), 'utf8')
    for (const line of text.split('\n')) {
      const parts = line.trim().split(/\s+/)
      if (parts.length === 4 && /^[0-9A-Z]{5}$/.test(parts[0]) && !conditions.has(parts[0])) {
        conditions.set(parts[0], parts[3])
      }
    }
  }
  return conditions.get(sqlstate) ?? null
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
