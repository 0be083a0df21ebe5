// The installed packages of samples/generate/node (npm ci from its committed lockfile).
import { createRequire } from 'node:module'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const here = path.dirname(fileURLToPath(import.meta.url))
export const require = createRequire(path.resolve(here, '../../../samples/generate/node/package.json'))
export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

// The case table's connection overrides (libpq names) -> host/port/user/database.
export function target(base, overrides = {}) {
  const { dbname, ...rest } = overrides
  return { ...base, ...(dbname ? { database: dbname } : {}), ...rest }
}
