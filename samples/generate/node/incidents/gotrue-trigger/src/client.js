// The web app's sign-up call, as its tests use it.
import { signup } from './auth-service.js'

export async function signUp(user) {
  const res = await signup(user)
  if (res.status !== 200) {
    throw new Error(`Failed to create user record: ${res.body.message}`)
  }
  return res.body
}
