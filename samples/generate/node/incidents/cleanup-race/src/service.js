// Course service: creates courses and runs analysis jobs asynchronously (pg + pino).
// The job writes job_status(course_id -> courses.id) some time after it was queued.
import pg from 'pg'
import pino from 'pino'
import { PG } from '../../../lib/common.mjs'

const SERVICE_LOG = process.env.SERVICE_LOG ?? 2
export const logger = pino(
  { name: 'course-service' },
  pino.destination({ dest: SERVICE_LOG, sync: true, append: true }),
)
export const pool = new pg.Pool({ ...PG, max: 4 })
const jobs = new Map()
const pending = new Set()
let jobCounter = 0

export async function createCourse(reqId, id, title) {
  const log = logger.child({ reqId })
  await pool.query('INSERT INTO courses (id, title) VALUES ($1, $2)', [id, title])
  log.info({ courseId: id }, 'course created')
  return { id, title }
}

export async function deleteCourse(reqId, id) {
  const log = logger.child({ reqId })
  await pool.query('DELETE FROM courses WHERE id = $1', [id])
  log.info({ courseId: id }, 'course deleted')
}

async function runAnalysis(log, jobId, courseId) {
  log.info('job started')
  try {
    await pool.query(
      'INSERT INTO job_status (job_id, course_id, state) VALUES ($1, $2, $3)',
      [jobId, courseId, 'done'],
    )
    jobs.set(jobId, { state: 'done' })
    log.info('job finished')
  } catch (err) {
    jobs.set(jobId, { state: 'failed', error: err.message })
    log.error({ err }, 'job failed')
  }
}

export function enqueueAnalysis(reqId, courseId, delayMs = 100) {
  jobCounter += 1
  const jobId = `job-${String(jobCounter).padStart(4, '0')}`
  const log = logger.child({ reqId, jobId, courseId })
  jobs.set(jobId, { state: 'queued' })
  log.info({ delayMs }, 'analysis job queued')
  const done = new Promise((resolve) => setTimeout(resolve, delayMs)).then(() =>
    runAnalysis(log, jobId, courseId),
  )
  pending.add(done)
  done.finally(() => pending.delete(done))
  return { jobId, state: 'queued' }
}

export const jobState = (jobId) => jobs.get(jobId)?.state ?? 'unknown'
export const idle = () => Promise.all([...pending])

export async function statusRows(courseId) {
  const res = await pool.query('SELECT job_id, state FROM job_status WHERE course_id = $1', [
    courseId,
  ])
  return res.rows
}
