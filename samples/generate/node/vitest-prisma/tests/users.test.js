// The users tests of vitest-basic, written against Prisma 7 (its client from prisma/schema.prisma,
// on pg through @prisma/adapter-pg): two fail on database errors, one on a plain assertion.
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { PrismaClient } from '@prisma/client'
import { PrismaPg } from '@prisma/adapter-pg'
import { PG, resetSchema } from '../../lib/common.mjs'

const db = new PrismaClient({ adapter: new PrismaPg(PG) })
beforeAll(() => resetSchema())
afterAll(() => db.$disconnect())

describe('users', () => {
  test('creates a user', async () => {
    const user = await db.user.create({ data: { org_id: 1, email: 'new@x.io' } })
    expect(user.id).toBeGreaterThan(0)
  })

  test('signs up the seeded admin again', async () => {
    // The fixture already inserted a@x.io: this hits users_email_key.
    const user = await db.user.create({ data: { org_id: 1, email: 'a@x.io' } })
    expect(user.id).toBeGreaterThan(0)
  })

  test('creates a user in a new org', async () => {
    // Org 7 was never created: users_org_id_fkey.
    const user = await db.user.create({ data: { org_id: 7, email: 'c@x.io' } })
    expect(user.id).toBeGreaterThan(0)
  })

  test('counts users', async () => {
    expect(await db.user.count()).toBe(3)
  })
})
