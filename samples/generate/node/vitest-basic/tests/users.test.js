import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { resetSchema } from '../../lib/common.mjs'
import { closePool, createUser, displayName, listUsers } from '../src/users.js'

beforeAll(() => resetSchema())
afterAll(() => closePool())

describe('users', () => {
  test('creates a user', async () => {
    const user = await createUser('new@x.io', 1)
    expect(user.id).toBeGreaterThan(0)
  })

  test('signs up the seeded admin again', async () => {
    // The fixture already inserted a@x.io: this hits users_email_key.
    const user = await createUser('a@x.io', 1)
    expect(user.id).toBeGreaterThan(0)
  })

  test('creates a user in a new org', async () => {
    // Org 7 was never created: users_org_id_fkey.
    const user = await createUser('c@x.io', 7)
    expect(user.id).toBeGreaterThan(0)
  })

  test('lists users', async () => {
    const users = await listUsers()
    expect(users.length).toBeGreaterThan(0)
  })

  test('formats the display name', () => {
    expect(displayName({ first: 'Ada', last: 'Lovelace' })).toBe('Ada Lovelace')
  })
})
