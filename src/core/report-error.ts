import { internalsOf } from './internals'
import type { Cache } from './types'

/** Sends an error to the cache's `onError` (or the console when none is set). */
export function reportError(cache: Cache, error: Error): void {
  const internals = internalsOf(cache, false)
  if (internals) internals.report(error)
  else console.error(error)
}
