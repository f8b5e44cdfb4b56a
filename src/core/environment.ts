// Browser signals as setup(callback) => cleanup adapters. Nothing runs at
// import time, and without a window (a server, a worker) they do nothing.

/** Listens to window events; returns the cleanup. */
function listen(events: readonly string[], listener: () => void): () => void {
  if (typeof window === 'undefined' || typeof window.addEventListener !== 'function') return () => {}
  for (const event of events) window.addEventListener(event, listener)
  return () => {
    for (const event of events) window.removeEventListener(event, listener)
  }
}

/**
 * A document that is not shown (a background tab, a minimized window), or a browser that
 * is offline (`navigator.onLine` false: no network at all); never outside a browser.
 * Nothing polls then; the focus or reconnect refetch catches up.
 */
export function away(): boolean {
  return (typeof document !== 'undefined' && document.visibilityState === 'hidden') || globalThis.navigator?.onLine === false
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
  return listen(['online'], onOnline)
}
