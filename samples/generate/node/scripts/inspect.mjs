// A pg error printed by Node itself: console.error(err), then left unhandled (process crashes).
// usage: node scripts/inspect.mjs <console|unhandled>
import pg from 'pg'
import { PG } from '../lib/common.mjs'

const client = new pg.Client(PG)
await client.connect()
const insert = () =>
  client.query('INSERT INTO users (org_id, email) VALUES ($1, $2)', [99, 'b@x.io'])

if (process.argv[2] === 'console') {
  try {
    await insert()
  } catch (err) {
    console.error(err)
  }
  await client.end()
} else {
  await insert()
}
