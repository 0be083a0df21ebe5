// Knex, Sequelize and TypeORM on pg: the integrity cases written the way an app writes them
// (query builder / model calls, not raw SQL), so each wrapper's own error shape reaches pino.
import { require } from './modules.mjs'

// case id -> the row operation, per ORM; the SQL each one compiles matches the case's sql.
const OPS = {
  knex: {
    '23505-pkey': (db) => db('orgs').insert({ id: 2, name: 'again' }),
    '23505-unique': (db) => db('users').insert({ org_id: 1, email: 'ada@example.com' }),
    '23503-fk-child': (db) => db('users').insert({ org_id: 99, email: 'bob@example.com' }),
    '23503-fk-parent': (db) => db('orgs').where({ id: 1 }).del(),
    '23502-not-null': (db) => db('users').insert({ org_id: 2, email: null }),
    '23514-check': (db) => db('users').where({ id: 1 }).update({ age: -3 }),
  },
  sequelize: {
    '23505-pkey': (db) => db.models.Org.create({ id: 2, name: 'again' }),
    '23505-unique': (db) => db.models.User.create({ org_id: 1, email: 'ada@example.com' }),
    '23503-fk-child': (db) => db.models.User.create({ org_id: 99, email: 'bob@example.com' }),
    '23503-fk-parent': (db) => db.models.Org.destroy({ where: { id: 1 } }),
    '23502-not-null': (db) => db.models.User.create({ org_id: 2, email: null }),
    '23514-check': (db) => db.models.User.update({ age: -3 }, { where: { id: 1 } }),
  },
  typeorm: {
    '23505-pkey': (db) => db.getRepository('Org').insert({ id: 2, name: 'again' }),
    '23505-unique': (db) => db.getRepository('User').insert({ org_id: 1, email: 'ada@example.com' }),
    '23503-fk-child': (db) => db.getRepository('User').insert({ org_id: 99, email: 'bob@example.com' }),
    '23503-fk-parent': (db) => db.getRepository('Org').delete({ id: 1 }),
    '23502-not-null': (db) => db.getRepository('User').insert({ org_id: 2, email: null }),
    '23514-check': (db) => db.getRepository('User').update({ id: 1 }, { age: -3 }),
  },
}

const CONNECT = {
  async knex(base) {
    const db = require('knex')({ client: 'pg', connection: base })
    return { db, close: () => db.destroy() }
  },
  async sequelize(base) {
    const { Sequelize, DataTypes } = require('sequelize')
    const db = new Sequelize(base.database, base.user, '', {
      host: base.host,
      port: base.port,
      dialect: 'postgres',
      logging: false,
    })
    const table = { timestamps: false }
    db.define('Org', { id: { type: DataTypes.INTEGER, primaryKey: true }, name: DataTypes.TEXT }, { ...table, tableName: 'orgs' })
    // No allowNull:false on email: the database's NOT NULL is the check that fires (23502).
    db.define(
      'User',
      {
        id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
        org_id: DataTypes.INTEGER,
        email: DataTypes.STRING(40),
        age: DataTypes.INTEGER,
      },
      { ...table, tableName: 'users' },
    )
    return { db, close: () => db.close() }
  },
  async typeorm(base) {
    const { DataSource, EntitySchema } = require('typeorm')
    const Org = new EntitySchema({
      name: 'Org',
      tableName: 'orgs',
      columns: { id: { type: Number, primary: true }, name: { type: String } },
    })
    const User = new EntitySchema({
      name: 'User',
      tableName: 'users',
      columns: {
        id: { type: Number, primary: true, generated: true },
        org_id: { type: Number },
        email: { type: String, nullable: true },
        age: { type: Number, nullable: true },
      },
    })
    const { host, port, user: username, database } = base
    const db = new DataSource({ type: 'postgres', host, port, username, database, entities: [Org, User] })
    await db.initialize()
    return { db, close: () => db.destroy() }
  },
}

export async function open(orm, base) {
  const { db, close } = await CONNECT[orm](base)
  return {
    async scenario(kase) {
      const op = OPS[orm][kase.id]
      if (!op) throw new Error(`no ${orm} operation for case ${kase.id}`)
      await op(db)
    },
    inspect: false,
    close,
  }
}
