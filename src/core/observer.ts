import type { Cache, Entry, QueryOptions } from './types'

/** What one observer (one mounted hook) asks of an entry. */
export interface ObserverOptions<T> extends QueryOptions<T> {
  /** Default true. A disabled observer never fetches and is not refetched by invalidations. */
  enabled?: boolean
  /** ms between background refetches while observed. */
  refetchInterval?: number
  /** Override the cache's refetchOnFocus for this observer. */
  refetchOnFocus?: boolean
  /** Override the cache's refetchOnReconnect for this observer. */
  refetchOnReconnect?: boolean
}

/**
 * One subscriber's view of one entry; the React layer wraps it in
 * useSyncExternalStore. Listeners are called in batches: every observer whose
 * entry changed in the same tick is notified in one synchronous loop, so React
 * commits them together.
 */
export interface QueryObserver<T> {
  /** Switch options (a new key, segment, enabled …). Never notifies by itself. */
  setOptions(options: ObserverOptions<T>): void
  /**
   * Attach: the observer counts as one of the entry's observers and fetches when
   * enabled and the entry is missing or stale. Returns detach.
   */
  subscribe(listener: () => void): () => void
  /** The entry for the current options; the same reference until it changes. */
  getSnapshot(): Entry<T> | undefined
  /** Fetch now, even when fresh (joins a fetch in flight). */
  refetch(): Promise<T>
}

export function observe<T>(cache: Cache, options: ObserverOptions<T>): QueryObserver<T> {
  void cache
  void options
  throw new Error('observe: not implemented yet')
}
