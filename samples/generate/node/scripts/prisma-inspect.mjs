// Prisma errors printed by Node itself: console.error(err) of a unique violation (P2002) and of a
// check violation Prisma does not map (P2039), then an FK violation (P2003) left unhandled, so
// the process crashes with its inspect dump.
// usage: node scripts/prisma-inspect.mjs <console|unhandled>
import { PrismaClient } from '@prisma/client'
import { PrismaPg } from '@prisma/adapter-pg'
import { PG } from '../lib/common.mjs'

const db = new PrismaClient({ adapter: new PrismaPg(PG) })
if (process.argv[2] === 'console') {
  for (const call of [
    () => db.user.create({ data: { org_id: 1, email: 'a@x.io' } }),
    () => db.user.update({ where: { id: 1 }, data: { age: -1 } }),
  ]) {
    try {
      await call()
    } catch (err) {
      console.error(err)
    }
  }
  await db.$disconnect()
} else {
  await db.user.create({ data: { org_id: 99, email: 'b@x.io' } })
}
