import { afterEach } from 'vitest'
import type { Cache, CacheEvent } from '../../src/core/types'

// Shared by the tests where tabs talk over a real BroadcastChannel. Delivery
// is asynchronous (Node has BroadcastChannel since 18): every wait is
// event-driven and bounded by BOUND_MS.
export const BOUND_MS = 2_000

/** Undone in reverse order after each test of the importing file. */
export const cleanups: Array<() => void> = []
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup()
})

let channelCount = 0

/** A channel name no other test (or test process) uses: `${prefix}-${pid}-${n}`. */
export function freshChannelName(prefix: string): string {
  channelCount += 1
  return `${prefix}-${process.pid}-${channelCount}`
}

/** Resolves with the first event of `cache` that `match` accepts; rejects after the bound. */
export function nextEvent(cache: Cache, match: (event: CacheEvent) => boolean, what: string): Promise<CacheEvent> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      stop()
      reject(new Error(`timed out after ${BOUND_MS} ms waiting for ${what}`))
    }, BOUND_MS)
    const stop = cache.subscribe((event) => {
      if (!match(event)) return
      clearTimeout(timer)
      stop()
      resolve(event)
    })
  })
}

/** Resolves once `cache` has emitted `n` events that `match` accepts; rejects after the bound. */
export function nthEvent(cache: Cache, match: (event: CacheEvent) => boolean, n: number, what: string): Promise<void> {
  let seen = 0
  return nextEvent(cache, (event) => match(event) && ++seen === n, `${what} (${n} times)`).then(() => undefined)
}

/** Matches the invalidation of a target that names `tag`. */
export const invalidatedWithTag = (tag: string) => (event: CacheEvent) =>
  event.type === 'invalidated' && (event.target.tags?.includes(tag) ?? false)
