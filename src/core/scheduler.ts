// Time and concurrency for one cache. Timers go through the global
// setTimeout looked up at call time, so fake timers in tests control them;
// the clock is the cache's injectable `now`.

export type Cancel = () => void

/** Does nothing: a cleanup with nothing to clean, a catch that ignores. */
export const noop = (): void => {}

/**
 * Clock times are stored counted from here: as small integers, V8 keeps them
 * inline in their object, while a Date.now()-sized number is a 16-byte heap
 * object of its own (one per cached entry).
 */
export const ORIGIN = /* @__PURE__ */ Date.now()

/** `n` as a small integer when it is one (arithmetic on Date.now() leaves even an integral result a heap number). */
export function small(n: number): number {
  return (n | 0) === n ? n | 0 : n
}

/** The longest wait one setTimeout can hold (about 24.8 days); longer ones fire at once. */
const MAX_TIMEOUT = 2_147_483_647

export function after(ms: number, run: () => void): Cancel {
  if (ms > MAX_TIMEOUT) {
    let cancel = after(MAX_TIMEOUT, () => {
      cancel = after(ms - MAX_TIMEOUT, run)
    })
    return () => cancel()
  }
  const id = setTimeout(run, ms)
  ;(id as { unref?: () => void }).unref?.()
  return () => clearTimeout(id)
}

/**
 * Resolves after `ms` (a retry's backoff: at most 30 s), or rejects with
 * `reason` when `signal` aborts first. Unlike `after`'s housekeeping timers,
 * this one keeps a Node process alive: someone awaits the fetch it delays
 * (a script's `await cache.fetch()` would otherwise end mid-await).
 */
export function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason)
    const onAbort = () => {
      clearTimeout(id)
      reject(signal.reason)
    }
    const id = setTimeout(() => {
      signal.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal.addEventListener('abort', onAbort, { once: true })
  })
}

interface Waiter {
  start: () => void
  cancelled: boolean
}

/**
 * At most `limit` fetchers run at once; the rest wait first in, first out.
 * A waiter whose fetch is aborted is skipped, never started.
 */
export class ConcurrencyGate {
  running = 0
  queuedCount = 0
  private readonly waiting: Waiter[] = []
  private head = 0

  declare private readonly limit: number

  constructor(limit: number) {
    this.limit = limit
  }

  /**
   * Resolves when a slot is held; rejects with the signal's reason if aborted
   * while queued. The signal is read only to queue: a fetch that gets a slot at
   * once (always, without a limit) makes no AbortController for it.
   */
  enter(fetch: { readonly signal: AbortSignal }): Promise<void> | undefined {
    if (this.running < this.limit && this.queuedCount === 0) {
      this.running++
      return undefined
    }
    const signal = fetch.signal
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        cancelled: false,
        start: () => {
          signal.removeEventListener('abort', onAbort)
          resolve()
        },
      }
      const onAbort = () => {
        waiter.cancelled = true
        // Nothing left waiting: drop the aborted waiters now, not when a slot frees.
        if (--this.queuedCount === 0) this.waiting.length = this.head = 0
        reject(signal.reason)
      }
      signal.addEventListener('abort', onAbort, { once: true })
      this.waiting.push(waiter)
      this.queuedCount++
    })
  }

  leave(): void {
    this.running--
    while (this.head < this.waiting.length && this.running < this.limit) {
      const next = this.waiting[this.head++]!
      if (next.cancelled) continue
      this.queuedCount--
      this.running++
      next.start()
    }
    if (this.head > 1024 && this.head * 2 > this.waiting.length) {
      this.waiting.splice(0, this.head)
      this.head = 0
    }
  }
}

/**
 * The next macrotask, as soon as the platform allows: setImmediate where it
 * exists (Node, and fake timers in tests), else a MessageChannel message (a
 * browser's setTimeout waits longer, 4 ms once nested). One channel per batch.
 */
function nextTask(run: () => void): void {
  if (typeof setImmediate === 'function') setImmediate(run)
  else {
    const { port1, port2 } = new MessageChannel()
    port1.onmessage = () => {
      port1.close()
      run()
    }
    port2.postMessage(0)
  }
}

/**
 * Collects the observers to notify and calls them together on the next
 * macrotask: queries that settle in the same tick reach React in one
 * synchronous loop, so React commits them at once instead of once each.
 */
export class NotifyBatch {
  private pending = new Set<() => void>()
  private scheduled = false

  add(listener: () => void): void {
    this.pending.add(listener)
    if (!this.scheduled) {
      this.scheduled = true
      nextTask(this.flush)
    }
  }

  delete(listener: () => void): void {
    this.pending.delete(listener)
  }

  private readonly flush = (): void => {
    this.scheduled = false
    const listeners = this.pending
    this.pending = new Set()
    for (const listener of listeners) listener()
  }
}
