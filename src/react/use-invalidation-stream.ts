import { useCallback, useRef, useSyncExternalStore } from 'react'
import type { Cache } from '../core/types'
import {
  connectInvalidations,
  watchState,
  type InvalidationConnection,
  type StreamOptions,
  type StreamState,
} from '../stream/connect'
import { useCacheContext } from './use-cache'

interface SharedStream {
  connection: InvalidationConnection
  refs: number
  closeTimer: ReturnType<typeof setTimeout> | undefined
}

// One connection per (cache, url), however many components ask for it.
const streams = new WeakMap<Cache, Map<string, SharedStream>>()

function acquire(cache: Cache, url: string, options: StreamOptions): SharedStream {
  let byUrl = streams.get(cache)
  if (!byUrl) {
    byUrl = new Map()
    streams.set(cache, byUrl)
  }
  let shared = byUrl.get(url)
  if (!shared) {
    shared = { connection: connectInvalidations(cache, { ...options, url }), refs: 0, closeTimer: undefined }
    byUrl.set(url, shared)
  }
  clearTimeout(shared.closeTimer)
  shared.closeTimer = undefined
  shared.refs += 1
  return shared
}

// The last user leaving closes the connection one tick later, so a remount in
// the same tick reuses it. StrictMode's double mount, all synchronous:
//   subscribe (open) → unsubscribe (refs 0, close scheduled) → subscribe (timer cancelled)
function release(cache: Cache, url: string, shared: SharedStream): void {
  shared.refs -= 1
  if (shared.refs > 0) return
  shared.closeTimer = setTimeout(() => {
    shared.closeTimer = undefined
    if (shared.refs > 0) return
    shared.connection.close()
    const byUrl = streams.get(cache)
    if (byUrl?.get(url) === shared) byUrl.delete(url)
  }, 0)
}

/**
 * Keeps the provider's cache subscribed to the server-sent invalidations at
 * `url` while the component is mounted; `null` connects nothing. Components
 * using the same url share one connection, opened by the first (its options
 * apply) and closed when the last unmounts. `state` is 'connecting' while the
 * stream (re)connects, and also while a url that is refused (a typo's 404, a
 * 401) is retried: that failure reaches the cache's `onError`, or the console (see
 * `connectInvalidations`).
 */
export function useInvalidationStream(url: string | null, options?: StreamOptions): { state: StreamState } {
  const { cache } = useCacheContext('useInvalidationStream')
  // Options are read when the connection opens; changing them later does not reconnect.
  const optionsRef = useRef(options)
  optionsRef.current = options

  const subscribe = useCallback(
    (notify: () => void) => {
      if (url === null) return () => {}
      const shared = acquire(cache, url, optionsRef.current ?? {})
      const unwatch = watchState(shared.connection, notify)
      return () => {
        unwatch()
        release(cache, url, shared)
      }
    },
    [cache, url],
  )
  const getSnapshot = (): StreamState => {
    if (url === null) return 'closed'
    return streams.get(cache)?.get(url)?.connection.state ?? 'connecting'
  }
  const getServerSnapshot = (): StreamState => (url === null ? 'closed' : 'connecting')

  const state = useSyncExternalStore(subscribe, getSnapshot, getServerSnapshot)
  return { state }
}
