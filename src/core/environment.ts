// Browser signals as setup(callback) => cleanup adapters. Nothing runs at
// import time, and without a window (a server, a worker) they do nothing.

import { noop } from './scheduler'

/** Listens to window events; returns the cleanup. */
function listen(events: readonly string[], listener: (event: Event) => void): () => void {
  if (typeof window === 'undefined' || typeof window.addEventListener !== 'function') return noop
  for (const event of events) window.addEventListener(event, listener)
  return () => {
    for (const event of events) window.removeEventListener(event, listener)
  }
}

/**
 * The last `offline` event was not followed by an `online` one, since a cache first listened.
 * Not `navigator.onLine`, as neither TanStack Query v5 nor SWR: Chromium reports it false
 * on some online machines (virtual network adapters), and nothing would ever poll there.
 */
let offline: boolean | undefined // undefined: no listener keeps it yet (see listenOnline)

/**
 * A document that is not shown (a background tab, a minimized window), or a browser that
 * went offline; never outside a browser. Nothing polls then and retries wait; the focus
 * or reconnect refetch catches up.
 */
export function away(): boolean | undefined {
  return (typeof document !== 'undefined' && document.visibilityState === 'hidden') || offline
}

export function listenFocus(onFocus: () => void): () => void {
  // A tab coming back fires visibilitychange; count it only when it became visible.
  // Not `focus` (TanStack Query v5 dropped it too): alt-tab from another app or a
  // click back from devtools fires it alone, and each one refetched every stale query.
  return listen(['visibilitychange'], () => {
    if (!away()) onFocus()
  })
}

export function listenOnline(onOnline: () => void): () => void {
  // The flag is the page's, not a cache's: kept from the first cache that listens on.
  // Reset when the last query unmounted, it was lost on every route change (the old
  // page's queries go before the next page's come) and by one cache for another.
  offline ??= (listen(['online', 'offline'], (event) => (offline = event.type !== 'online')), false)
  return listen(['online'], onOnline)
}
