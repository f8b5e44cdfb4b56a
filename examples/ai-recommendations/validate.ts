import { maxPriceCents } from './catalog'
import { HttpError } from './http-json'
import { arms, modelVersions, type Arm, type ModelVersion } from './types'

// Request validation for the demo's API: every malformed input becomes a 400
// that says what was wrong, never an exception that reaches the server.

const userPattern = /^[a-z0-9-]{1,32}$/

export function parseUser(value: string | null): string {
  if (value === null) throw new HttpError(400, 'query parameter "user" is required')
  if (!userPattern.test(value)) throw new HttpError(400, 'query parameter "user" must be 1–32 of a-z, 0-9, "-"')
  return value
}

export function parseArm(value: string | null | undefined, name = 'segment'): Arm {
  if (value === null || value === undefined) throw new HttpError(400, `"${name}" is required`)
  if (!(arms as readonly string[]).includes(value)) {
    throw new HttpError(400, `"${name}" must be one of ${arms.join(', ')}`)
  }
  return value as Arm
}

export function parseProductId(value: string | undefined): number {
  const id = Number(value)
  if (!value || !/^\d{1,6}$/.test(value) || !Number.isSafeInteger(id)) {
    throw new HttpError(400, 'product id must be a positive integer')
  }
  return id
}

export function parseBoolean(body: Record<string, unknown>, field: string): boolean {
  const value = body[field]
  if (typeof value !== 'boolean') throw new HttpError(400, `"${field}" must be true or false`)
  return value
}

export function parsePriceCents(body: Record<string, unknown>): number {
  const value = body.priceCents
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > maxPriceCents) {
    throw new HttpError(400, `"priceCents" must be an integer from 1 to ${maxPriceCents}`)
  }
  return value
}

export function parseModelVersion(body: Record<string, unknown>): ModelVersion {
  const value = body.version
  if (typeof value !== 'string' || !(modelVersions as readonly string[]).includes(value)) {
    throw new HttpError(400, `"version" must be one of ${modelVersions.join(', ')}`)
  }
  return value as ModelVersion
}

export function parsePolicy(body: Record<string, unknown>): 'immediate' | 'lazy' {
  const value = body.policy ?? 'lazy'
  if (value !== 'immediate' && value !== 'lazy') throw new HttpError(400, '"policy" must be "immediate" or "lazy"')
  return value
}
