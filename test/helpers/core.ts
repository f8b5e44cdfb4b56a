import { afterEach, beforeEach, vi } from 'vitest'
import type { Cache, FetchContext } from '../../src/core/types'
import { deferred, type Deferred } from './deferred'

/** One fetcher run: what it was given, when it started, and how to answer it. */
export interface FetchCall<T> extends Deferred<T> {
  ctx: FetchContext
  startedAt: number
}

/**
 * A fetcher whose every run waits for the test to answer it. `calls` lists the
 * runs in the order they started.
 */
export function controlledFetcher<T>() {
  const calls: FetchCall<T>[] = []
  const fetcher = vi.fn((ctx: FetchContext): Promise<T> => {
    const call: FetchCall<T> = { ...deferred<T>(), ctx, startedAt: Date.now() }
    calls.push(call)
    return call.promise
  })
  /** The n-th run (0-based); throws when it has not started, so a test fails clearly. */
  const call = (n: number): FetchCall<T> => {
    const found = calls[n]
    if (!found) throw new Error(`fetcher run #${n} never started (${calls.length} started)`)
    return found
  }
  return { fetcher, calls, call }
}

/**
 * Let the cache run everything due now: promise callbacks, the same-tick
 * grace and the batched observer notification (a `setTimeout(0)`).
 */
export async function flush(): Promise<void> {
  await vi.advanceTimersByTimeAsync(0)
}

/** A promise's state without waiting for it. */
export function track<T>(promise: Promise<T>) {
  const state: { settled: boolean; value?: T; error?: unknown } = { settled: false }
  promise.then(
    (value) => {
      state.settled = true
      state.value = value
    },
    (error: unknown) => {
      state.settled = true
      state.error = error
    },
  )
  return state
}

/** Runs every test of the calling file on fake timers, restoring real ones after each. */
/**
 * The window goes back online after each test: the offline flag is the page's and
 * kept for its life (src/core/environment.ts), so a test that fails while offline
 * would leave every later test of its file offline.
 */
export function onlineAfterEachTest(): void {
  afterEach(() => {
    window.dispatchEvent(new Event('online'))
  })
}

export function fakeTimersEachTest(): void {
  beforeEach(() => {
    vi.useFakeTimers()
  })
  afterEach(() => {
    vi.useRealTimers()
  })
}

/**
 * Runs every test of the calling file on fake timers with a fresh cache from
 * `create`, handed to `use` before the test; after it, clears that cache and
 * restores real timers.
 */
export function cacheEachTest(create: () => Cache, use: (cache: Cache) => void): void {
  let cache: Cache
  beforeEach(() => {
    vi.useFakeTimers()
    cache = create()
    use(cache)
  })
  afterEach(() => {
    cache.clear()
    vi.useRealTimers()
  })
}
