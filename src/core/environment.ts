// Browser signals as setup(callback) => cleanup adapters. Nothing runs at
// import time, and without a window (a server, a worker) they do nothing.

export function listenFocus(onFocus: () => void): () => void {
  if (typeof window === 'undefined' || typeof window.addEventListener !== 'function') return () => {}
  const onVisibility = () => {
    if (typeof document !== 'undefined' && document.visibilityState === 'visible') onFocus()
  }
  window.addEventListener('focus', onFocus)
  window.addEventListener('visibilitychange', onVisibility)
  return () => {
    window.removeEventListener('focus', onFocus)
    window.removeEventListener('visibilitychange', onVisibility)
  }
}

export function listenOnline(onOnline: () => void): () => void {
  if (typeof window === 'undefined' || typeof window.addEventListener !== 'function') return () => {}
  window.addEventListener('online', onOnline)
  return () => window.removeEventListener('online', onOnline)
}
