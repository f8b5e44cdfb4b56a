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

export function listenFocus(onFocus: () => void): () => void {
  // A tab coming back fires visibilitychange; count it only when it became visible.
  return listen(['focus', 'visibilitychange'], () => {
    if (typeof document === 'undefined' || document.visibilityState === 'visible') onFocus()
  })
}

export function listenOnline(onOnline: () => void): () => void {
  return listen(['online'], onOnline)
}
