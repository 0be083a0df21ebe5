// A shop service: catalog reads and checkouts (pg), logging every request with pino to a file.
import pg from 'pg'
import pino from 'pino'
import { PG } from '../../../lib/common.mjs'

const SERVICE_LOG = process.env.SERVICE_LOG ?? 2
export const logger = pino(
  { name: 'shop', level: 'debug' },
  pino.destination({ dest: SERVICE_LOG, sync: true, append: true }),
)
export const pool = new pg.Pool({ ...PG, max: 4 })
let requests = 0

function request(method, url) {
  requests += 1
  return logger.child({ reqId: `req-${requests}`, method, url })
}

export async function getProduct(id) {
  const log = request('GET', `/products/${id}`)
  const started = process.hrtime.bigint()
  const res = await pool.query('SELECT id, name, price FROM products WHERE id = $1', [id])
  log.debug({ rows: res.rowCount }, 'product lookup')
  const responseTime = Number(process.hrtime.bigint() - started) / 1e6
  if (requests % 997 === 0) log.warn({ remaining: 3 }, 'rate limit nearly exhausted for client')
  log.info({ statusCode: res.rowCount ? 200 : 404, responseTime }, 'request completed')
  return res.rows[0]
}

// The idempotency key is derived from the cart number modulo 97: cart 98 collides with cart 1.
export const idempotencyKey = (cart) => `ck-${cart % 97}`

export async function checkout(cart, total) {
  const log = request('POST', `/carts/${cart}/checkout`)
  try {
    await pool.query(
      'INSERT INTO orders (cart_id, idempotency_key, total) VALUES ($1, $2, $3)',
      [cart, idempotencyKey(cart), total],
    )
  } catch (err) {
    log.error({ err }, 'checkout failed')
    log.info({ statusCode: 500 }, 'request completed')
    throw err
  }
  log.info({ statusCode: 201 }, 'request completed')
}

export async function ledgerTotal() {
  const res = await pool.query('SELECT coalesce(sum(total), 0)::int AS total FROM orders')
  return res.rows[0].total
}
