import type { NotModified, Versioned } from './types'

const VERSIONED = /* @__PURE__ */ Symbol.for('cachet.versioned')
const NOT_MODIFIED = /* @__PURE__ */ Symbol.for('cachet.notModified')

/** A fetcher result together with the ETag the server sent for it. */
export function versioned<T>(data: T, etag: string): Versioned<T> {
  if (typeof etag !== 'string') throw new TypeError(`versioned: etag must be a string, got ${typeof etag}`)
  return { [VERSIONED]: true, data, etag } as unknown as Versioned<T>
}

/** The fetcher's "304": keep the cached data, mark it fresh, no re-render. */
export const notModified: NotModified = /* @__PURE__ */ Object.freeze({ [NOT_MODIFIED]: true }) as unknown as NotModified

export function isVersioned(value: unknown): value is Versioned<unknown> {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[VERSIONED] === true
}

export function isNotModified(value: unknown): value is NotModified {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[NOT_MODIFIED] === true
}
