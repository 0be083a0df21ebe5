import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { runSql } from '../../../lib/common.mjs'
import { pool } from '../src/auth-service.js'
import { signUp } from '../src/client.js'

const ACME = '3d6f0a1e-8c2b-4e5a-9f47-1b2c3d4e5f60'
// An invite link minted for an org that was since deleted.
const STALE_ORG = '9a7b6c5d-4e3f-4a1b-8c2d-0e1f2a3b4c5d'

beforeAll(() => runSql(readFileSync(new URL('../schema.sql', import.meta.url), 'utf8')))
afterAll(() => pool.end())

describe('sign-up', () => {
  test('a member of an existing org signs up', async () => {
    const user = await signUp({ id: 'a1b2c3d4-0000-4000-8000-000000000001', email: 'ann@acme.io', orgId: ACME })
    expect(user.email).toBe('ann@acme.io')
  })

  test('an invited member signs up', async () => {
    const user = await signUp({ id: 'a1b2c3d4-0000-4000-8000-000000000002', email: 'bob@x.io', orgId: STALE_ORG })
    expect(user.email).toBe('bob@x.io')
  })

  test('a member signs up from the magic link', async () => {
    const user = await signUp({ id: 'a1b2c3d4-0000-4000-8000-000000000003', email: 'cy@x.io', orgId: STALE_ORG })
    expect(user.email).toBe('cy@x.io')
  })
})
