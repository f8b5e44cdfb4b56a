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
