// The same API through an ORM / query builder: Knex, Sequelize, TypeORM, Prisma, logged with pino.
// usage: node scripts/orm.mjs <knex|sequelize|typeorm|prisma> <unique-violation|fk-child-insert> <meta.json>
import { writeFileSync } from 'node:fs'
import pino from 'pino'
import knexFactory from 'knex'
import { Sequelize, DataTypes } from 'sequelize'
import { DataSource, EntitySchema } from 'typeorm'
import { PrismaClient } from '@prisma/client'
import { PrismaPg } from '@prisma/adapter-pg'
import { PG, PG_URL } from '../lib/common.mjs'
import { pgFields } from '../lib/drivers.mjs'

const ROWS = {
  'unique-violation': { org_id: 1, email: 'a@x.io' },
  'fk-child-insert': { org_id: 99, email: 'b@x.io' },
}

const ORMS = {
  async knex(row) {
    const db = knexFactory({ client: 'pg', connection: PG })
    try {
      await db('users').insert(row)
    } finally {
      await db.destroy()
    }
  },
  async sequelize(row) {
    const db = new Sequelize(PG_URL, { logging: false })
    const User = db.define(
      'User',
      {
        id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
        org_id: { type: DataTypes.INTEGER, allowNull: false },
        email: { type: DataTypes.TEXT, allowNull: false, unique: true },
      },
      { tableName: 'users', timestamps: false },
    )
    try {
      await User.create(row)
    } finally {
      await db.close()
    }
  },
  async typeorm(row) {
    const User = new EntitySchema({
      name: 'User',
      tableName: 'users',
      columns: {
        id: { type: Number, primary: true, generated: true },
        org_id: { type: Number },
        email: { type: String },
      },
    })
    const db = new DataSource({ type: 'postgres', url: PG_URL, entities: [User] })
    await db.initialize()
    try {
      await db.getRepository('User').insert(row)
    } finally {
      await db.destroy()
    }
  },
  // Prisma 7: the client generated from prisma/schema.prisma by `npm ci`, on pg (driver adapter)
  async prisma(row) {
    const db = new PrismaClient({ adapter: new PrismaPg(PG) })
    try {
      await db.user.create({ data: row })
    } finally {
      await db.$disconnect()
    }
  },
}

async function main() {
  const [orm, caseName, metaPath] = process.argv.slice(2)
  const logger = pino({ name: 'api' }, pino.destination({ dest: 1, sync: true }))
  logger.info({ orm, port: 3000 }, 'server listening')
  const log = logger.child({ reqId: 'req-1', route: 'POST /users' })
  log.info('incoming request')
  const roots = []
  let status = 201
  try {
    await ORMS[orm](ROWS[caseName])
  } catch (err) {
    status = 500
    log.error({ err }, 'createUser failed')
    const f = pgFields(err)
    if (f.sqlstate) roots.push(f)
  }
  log.info({ statusCode: status }, 'request completed')
  writeFileSync(metaPath, JSON.stringify({ case: caseName, orm, roots }, null, 2))
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
