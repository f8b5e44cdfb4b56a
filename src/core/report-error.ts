import type { Cache } from './types'

// TEMPORARY STUB (written by the stream helper so src/stream compiles): the
// lead replaces this body with one that calls the cache's CacheOptions.onError
// and falls back to console.error when none is set.
export function reportError(cache: Cache, error: Error): void {
  void cache
  console.error(error)
}
