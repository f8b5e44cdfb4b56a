// Browser signals as setup(callback) => cleanup adapters. Nothing runs at
// import time, and without a window (a server, a worker) they do nothing.

/** Listens to window events; returns the cleanup. */
function listen(events: readonly string[], listener: (event: Event) => void): () => void {
  if (typeof window === 'undefined' || typeof window.addEventListener !== 'function') return () => {}
  for (const event of events) window.addEventListener(event, listener)
  return () => {
    for (const event of events) window.removeEventListener(event, listener)
  }
}

/**
 * The last `offline` event was not followed by an `online` one, while a cache listened.
 * Not `navigator.onLine`, as neither TanStack Query v5 nor SWR: Chromium reports it false
 * on some online machines (virtual network adapters), and nothing would ever poll there.
 */
let offline = false

/**
 * A document that is not shown (a background tab, a minimized window), or a browser that
 * went offline; never outside a browser. Nothing polls then and retries wait; the focus
 * or reconnect refetch catches up.
 */
export function away(): boolean {
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
  const off = listen(['online', 'offline'], (event) => {
    offline = event.type !== 'online'
    if (!offline) onOnline()
  })
  // Without a listener no `online` would clear it: assume online again (TanStack Query's default).
  return () => {
    off()
    offline = false
  }
}
