import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest'
import { resetSchema } from '../../../lib/common.mjs'
import { createAuthUser, signIn } from '../src/auth.js'
import * as service from '../src/service.js'

const COURSE = '6f1c2a9e-4b7d-4c1e-9a53-0d2f8e7b1c11'
const OTHER = '0b8e5d43-2c6a-4f19-8e07-9d1a3c5b7e22'
const created = []
let firstJob

beforeAll(async () => {
  await resetSchema(`
    CREATE TABLE courses (id uuid PRIMARY KEY, title text NOT NULL);
    CREATE TABLE job_status (
      id serial PRIMARY KEY, job_id text NOT NULL,
      course_id uuid NOT NULL REFERENCES courses(id), state text NOT NULL);
    CREATE TABLE auth_users (id serial PRIMARY KEY, email text NOT NULL UNIQUE);
  `)
  await signIn('teacher@x.io')
})

// Cleanup removes what each test created, without waiting for the jobs it queued.
afterEach(async () => {
  while (created.length) {
    await service.deleteCourse('cleanup', created.pop())
  }
})

afterAll(async () => {
  await service.idle()
  await service.pool.end()
})

describe('course analysis', () => {
  test('creates an auth user for a new teacher', async () => {
    const user = await createAuthUser('new-teacher@x.io')
    expect(user.id).toBeGreaterThan(0)
  })

  test('uploads a course and queues its analysis', async () => {
    await service.createCourse('req-101', COURSE, 'Databases 101')
    created.push(COURSE)
    firstJob = service.enqueueAnalysis('req-101', COURSE)
    expect(firstJob.state).toBe('queued')
  })

  test('analysis of the uploaded course completes', async () => {
    await service.idle()
    expect(service.jobState(firstJob.jobId)).toBe('done')
  })

  test('the course page shows the analysis status', async () => {
    const rows = await service.statusRows(COURSE)
    expect(rows).toHaveLength(1)
  })

  test('lists the courses of the signed-in teacher', async () => {
    await service.createCourse('req-102', OTHER, 'Algorithms')
    created.push(OTHER)
    const res = await service.pool.query('SELECT count(*)::int AS n FROM courses')
    expect(res.rows[0].n).toBe(1)
  })
})
