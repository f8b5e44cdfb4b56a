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

/**
 * An error nothing else would show, to the cache's `onError`, or the console
 * when it has none, never dropped: a bug in the app's own code around a call
 * (an `onError` that throws, an updater that throws as a rollback replays it;
 * `mutate()` cannot throw it), or a stream url refused twice (its `state`
 * stays 'connecting' while it retries).
 */
export function reportBug(cache: Cache, error: Error): void {
  const internals = internalsOf(cache, false)
  if (internals?.options.onError) internals.report(error)
  else console.error(error)
}
