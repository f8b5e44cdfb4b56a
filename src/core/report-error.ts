import { internalsOf } from './internals'
import type { Cache } from './types'

/**
 * Sends an error to the cache's `onError`; a cache without one drops it (the
 * console only for an object not made by createCache).
 */
export function reportError(cache: Cache, error: Error): void {
  const internals = internalsOf(cache, false)
  if (internals) internals.report(error)
  else console.error(error)
}
