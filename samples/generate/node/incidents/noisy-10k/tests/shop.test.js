import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { resetSchema } from '../../../lib/common.mjs'
import { checkout, getProduct, ledgerTotal, pool } from '../src/shop.js'

const CARTS = 120

beforeAll(() =>
  resetSchema(`
    CREATE TABLE products (id int PRIMARY KEY, name text NOT NULL, price int NOT NULL);
    INSERT INTO products SELECT g, 'product ' || g, g * 3 FROM generate_series(1, 50) g;
    CREATE TABLE orders (
      id serial PRIMARY KEY, cart_id int NOT NULL,
      idempotency_key text NOT NULL UNIQUE, total int NOT NULL);
  `),
)
afterAll(() => pool.end())

describe('shop', () => {
  test('serves the catalog under load', async () => {
    for (let i = 0; i < 5000; i += 1) await getProduct((i % 60) + 1)
  }, 60_000)

  test('checks out every cart', async () => {
    for (let cart = 1; cart <= CARTS; cart += 1) await checkout(cart, 10)
  })

  test('order totals match the ledger', async () => {
    expect(await ledgerTotal()).toBe(CARTS * 10)
  })

  test('health check answers', async () => {
    const res = await pool.query('SELECT 1 AS ok')
    expect(res.rows[0].ok).toBe(1)
  })
})
