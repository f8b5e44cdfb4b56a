// 304s seen by this tab. cache.stats() counts fetcher runs, not what they
// answered, so the demo counts "not modified" answers itself.

let count = 0
const listeners = new Set<() => void>()

export function countNotModified(): void {
  count += 1
  for (const listener of [...listeners]) listener()
}

export function notModifiedCount(): number {
  return count
}

export function subscribeNotModified(listener: () => void): () => void {
  listeners.add(listener)
  return () => listeners.delete(listener)
}
