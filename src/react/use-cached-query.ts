import { useEffect, useLayoutEffect, useState, useSyncExternalStore } from 'react'
import type { ObserverOptions } from '../core/observer'
import type { QueryKey, QueryOptions, SchemaQueryOptions } from '../core/types'
import { useCacheContext } from './use-cache'
import { QueryStore, type UseCachedQueryResult } from './tracked-result'

export type { UseCachedQueryResult } from './tracked-result'

/** What `useCachedQuery` takes besides the query itself. */
export interface QueryHookOptions<T, S = T> {
  /** Default true. A disabled query never fetches by itself (mount, focus, interval, invalidation); `refetch()` still does. */
  enabled?: boolean | undefined
  /** Derives what `data` holds; runs again only when the data or the function changes. */
  select?: ((data: T) => S) | undefined
  /** Shown as `data` (through `select`) while the query is pending (no data, no error yet); `status` stays `'pending'`. After a failure `data` is `undefined`. */
  placeholderData?: T | undefined
  /** ms between background refetches while mounted. */
  refetchInterval?: number | undefined
  /** Override the cache's `refetchOnFocus`. */
  refetchOnFocus?: boolean | undefined
  /** Override the cache's `refetchOnReconnect`. */
  refetchOnReconnect?: boolean | undefined
}

export interface UseCachedQueryOptions<T, S = T, K extends QueryKey = QueryKey> extends QueryOptions<T, K>, QueryHookOptions<T, S> {}

// Runs at commit in the browser; on a server (where React 18 warns about a
// layout effect, and no effect runs anyway) a plain effect.
const useCommitEffect = typeof window === 'undefined' ? useEffect : useLayoutEffect

/**
 * Reads one query from the nearest CacheProvider's cache and keeps it fresh.
 * The segment defaults to the provider's. The component re-renders only when
 * a field it has read changes.
 */
export function useCachedQuery<T, S = T, const K extends QueryKey = QueryKey>(
  options: UseCachedQueryOptions<T, S, K> & { schema?: undefined },
): UseCachedQueryResult<T, S>
/** With a schema, the data has the schema's (output) type, whatever the fetcher returns. */
export function useCachedQuery<T, S = T, const K extends QueryKey = QueryKey>(
  options: SchemaQueryOptions<T, K> & QueryHookOptions<T, S>,
): UseCachedQueryResult<T, S>
/** Query options built elsewhere (a shared `QueryOptions<T>`). */
export function useCachedQuery<T, S = T>(options: UseCachedQueryOptions<T, S>): UseCachedQueryResult<T, S>
export function useCachedQuery<T, S = T>(
  options: UseCachedQueryOptions<T, S>,
): UseCachedQueryResult<T, S> {
  const context = useCacheContext('useCachedQuery')
  const observerOptions: ObserverOptions<T> =
    options.segment !== undefined || context.segment === undefined
      ? options
      : { ...options, segment: context.segment }

  // One store (and observer) per mounted hook. Neither has a side effect
  // until subscribe, so StrictMode's discarded second instance costs nothing.
  let [store, setStore] = useState(() => new QueryStore<T, S>(context.cache, observerOptions))
  if (store.storeCache !== context.cache) {
    // A new cache from the provider: a new observer, and a re-render that
    // swaps in its subscription (React's "state from the previous render").
    store = new QueryStore<T, S>(context.cache, observerOptions)
    setStore(store)
  }

  // Cheap, and never moves or fetches: setOptions compares key hash and
  // segment, and hands the rest to the entry the hook is on. A new key shows
  // the new key's entry at once; the observer moves to it (and fetches it)
  // only when React commits this render, so a render it discards (a
  // transition that suspends) leaves the shown key observed.
  store.observer.setOptions(observerOptions)
  store.renderSelect = options.select
  store.renderPlaceholder = options.placeholderData
  useSyncExternalStore(store.subscribe, store.getSnapshot, store.getSnapshot)
  const { watched } = store.observer
  // What the shown query does follows a render only once React commits it (Observer.sync).
  // This render's options go along: a subtree <Activity> shows again re-runs
  // the last committed effect before subscribing, whatever render came after.
  useCommitEffect(() => store.observer.sync(observerOptions), [
    store,
    watched,
    options.enabled !== false,
    options.refetchInterval,
    options.refetchOnFocus,
    options.refetchOnReconnect,
    options.staleTime,
  ])
  return store.read()
}
