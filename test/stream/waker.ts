import { vi } from 'vitest'
import { createCache } from '../../src/core/cache'
import { observe } from '../../src/core/observer'
import type { Cache } from '../../src/core/types'
import { watchState, type InvalidationConnection } from '../../src/stream/connect'

/**
 * Event-driven, bounded waits for tests with real I/O: `until(condition)` is
 * re-checked on every cache event, connection state change and `wake()`, and
 * rejects after `boundMs`. Call `stop()` to detach everything.
 */
export function waker(cache: Cache, boundMs: number) {
  const checks = new Set<() => void>()
  const wake = () => {
    for (const check of [...checks]) check()
  }
  const detach = [cache.subscribe(wake)]
  return {
    wake,
    watch(connection: InvalidationConnection) {
      detach.push(watchState(connection, wake))
    },
    until(condition: () => boolean, what: string): Promise<void> {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (!condition()) return
          clearTimeout(timer)
          checks.delete(check)
          resolve()
        }
        const timer = setTimeout(() => {
          checks.delete(check)
          reject(new Error(`timed out after ${boundMs} ms waiting for ${what}`))
        }, boundMs)
        checks.add(check)
        check()
      })
    },
    stop() {
      for (const off of detach.splice(0)) off()
    },
  }
}

export type Waker = ReturnType<typeof waker>

/**
 * A cache with one active (observed) entry, ['recs', 7] tagged product:42,
 * whose fetcher counts its runs; resolves once the first fetch has landed.
 * What it starts is stopped through `cleanups`.
 */
export async function activeEntry(boundMs: number, cleanups: Array<() => void>) {
  const onError = vi.fn<(error: Error) => void>()
  const cache = createCache({ staleTime: 60_000, onError })
  const w = waker(cache, boundMs)
  cleanups.push(() => w.stop())
  let fetches = 0
  const observer = observe(cache, {
    key: ['recs', 7],
    tags: ['product:42'],
    fetcher: async () => {
      fetches += 1
      w.wake()
      return `answer ${fetches}`
    },
  })
  cleanups.push(observer.subscribe(() => {}))
  const data = () => cache.get<string>(['recs', 7])?.data
  await w.until(() => data() === 'answer 1', 'the first fetch')
  return { cache, onError, w, data, fetches: () => fetches }
}
