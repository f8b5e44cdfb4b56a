import type { QueryEntry } from './entry'
import { sizeOf, type InvalidationIndex } from './invalidation-index'
import { entryId, hashKey, idHasKey, type HashedKey } from './key'
import { checkOptionsObject, checkSegment, checkTags } from './options'
import { hasTag } from './tags'
import type { InvalidationTarget } from './types'

/**
 * The entries an invalidation target hits: every given field must match.
 * Walks the smallest index set that holds every match (an exact key, a tag,
 * a prefix of two or more elements); a target with none of them scans.
 */
export function matchTarget(
  entries: ReadonlyMap<string, QueryEntry>,
  index: InvalidationIndex<QueryEntry>,
  target: InvalidationTarget,
): QueryEntry[] {
  const named = checkTarget(target)
  const key = target.key === undefined ? undefined : hashKey(target.key, 'target.key')
  const matches: QueryEntry[] = []
  const sources = candidates(index, target, key, entries)
  // A target that names one indexed field and nothing else: its index set is
  // the answer, and no entry needs checking (an invalidation by prefix or tag).
  const every = sources && named === 1
  // Each source is walked in place (no copy of a 5,000-entry Set); an entry
  // is in at most one of them.
  for (const source of sources ?? [entries.values()]) {
    for (const entry of source) if (every || matchesTarget(entry, target, key)) matches.push(entry)
  }
  return matches
}

type Source = readonly QueryEntry[] | Set<QueryEntry>

const TARGET_FIELDS = ['key', 'exact', 'tags', 'segment', 'model', 'modelVersion', 'predicate']

/** Throws for a bad target (its key is checked as it is hashed); returns how many fields it names, `exact` aside. */
function checkTarget(target: InvalidationTarget): number {
  const where = 'invalidate'
  checkOptionsObject(where, 'target', target)
  let named = 0
  for (const field of Object.keys(target)) {
    // A misspelt field (or TanStack's `queryKey`) would otherwise match everything.
    if (!TARGET_FIELDS.includes(field)) throw new TypeError(`${where}: target.${field} is not a target field (${TARGET_FIELDS.join(', ')})`)
    if (field !== 'exact' && target[field as keyof InvalidationTarget] !== undefined) named++
  }
  checkTags(`${where}: target`, target.tags)
  checkSegment(`${where}: target`, target.segment)
  for (const [field, type] of [['exact', 'boolean'], ['model', 'string'], ['modelVersion', 'string'], ['predicate', 'function']] as const) {
    const value = target[field]
    if (value !== undefined && typeof value !== type) throw new TypeError(`${where}: target.${field} must be a ${type}`)
  }
  return named
}

/** The smallest indexed sets that hold every match; undefined when nothing is indexed (a scan). */
function candidates(
  index: InvalidationIndex<QueryEntry>,
  target: InvalidationTarget,
  key: HashedKey | undefined,
  entries: ReadonlyMap<string, QueryEntry>,
): Source[] | undefined {
  let best: Source[] | undefined
  let size = Infinity
  const consider = (...sets: Source[]) => {
    const setSize = sets.reduce((sum, set) => sum + sizeOf(set), 0)
    if (setSize < size) {
      best = sets
      size = setSize
    }
  }
  if (key) {
    const exact = withHash(entries, index, key.hash, target.segment)
    if (target.exact) consider(exact)
    else if (target.key!.length > 1) consider(exact, index.byPrefix.get(key.hash))
  }
  if (target.tags) {
    if (target.tags.length === 1) consider(index.byTag.get(target.tags[0]!))
    else {
      const union = new Set<QueryEntry>()
      for (const tag of target.tags) for (const entry of index.byTag.get(tag)) union.add(entry)
      consider(union)
    }
  }
  // undefined: a scan, in place (matchTarget collects every match before any is invalidated).
  return best
}

/** The entries whose whole key hashes to `hash`, in one segment or in each one. */
function withHash(
  entries: ReadonlyMap<string, QueryEntry>,
  index: InvalidationIndex<QueryEntry>,
  hash: string,
  segment: string | undefined,
): QueryEntry[] {
  const found: QueryEntry[] = []
  const segments = segment !== undefined ? [segment] : [undefined, ...index.segments.keys()]
  for (const seg of segments) {
    const entry = entries.get(entryId(hash, seg))
    if (entry) found.push(entry)
  }
  return found
}

function matchesTarget(entry: QueryEntry, target: InvalidationTarget, key: HashedKey | undefined): boolean {
  if (entry.removed) return false
  if (key && !idHasKey(entry.id, key.hash, target.exact === true)) return false
  if (target.tags && !target.tags.some((tag) => hasTag(entry.tags, tag))) return false
  if (target.segment !== undefined && entry.segment !== target.segment) return false
  if (target.model !== undefined && !entry.ofModel(target.model)) return false
  // A fetch of that version still running counts: its answer would land as that version.
  if (target.modelVersion !== undefined && entry.modelVersion !== target.modelVersion && entry.flight?.startedWith !== target.modelVersion) return false
  // Restamped first: as get() shows it, stale once its staleTime has passed (an
  // unobserved entry has no timer that flips isStale).
  if (target.predicate && !target.predicate((entry.restamp(), entry.snapshot))) return false
  return true
}
