import { prefixHashes } from './key'
import type { KeptTags } from './tags'

/** What the index needs to know of an entry. */
export interface Indexable {
  readonly id: string
  /** The key's hash. */
  readonly hash: string
  readonly segment: string | undefined
  /** Out of the cache: its fields still change, the index no longer holds it. */
  readonly removed: boolean
  tags: KeptTags
}

/**
 * One index: a value maps to the entries that have it. Most tags and key
 * prefixes belong to one entry, so a lone entry is stored as itself and
 * becomes a Set only when a second one arrives (a Set per entry would cost
 * more than the entry).
 */
export class Bucket<K, E extends object> {
  private readonly map = new Map<K, E | Set<E>>()

  add(key: K, entry: E): void {
    const found = this.map.get(key)
    if (found === undefined) this.map.set(key, entry)
    else if (found instanceof Set) found.add(entry)
    else if (found !== entry) this.map.set(key, new Set([found, entry]))
  }

  delete(key: K, entry: E): void {
    const found = this.map.get(key)
    if (found === entry) this.map.delete(key)
    else if (found instanceof Set) {
      found.delete(entry)
      if (found.size === 1) this.map.set(key, found.values().next().value as E)
    }
  }

  /** The entries with this value. */
  get(key: K): readonly E[] | Set<E> {
    const found = this.map.get(key)
    if (found === undefined) return []
    return found instanceof Set ? found : [found]
  }
}

export function sizeOf<E>(items: readonly E[] | Set<E>): number {
  return items instanceof Set ? items.size : items.length
}

/**
 * Secondary indexes for the fields that pick out few entries among many: a
 * tag, and a key prefix of two or more elements (`['user', 42]`). Each costs
 * a slot per entry, which pays when an invalidation hits 10 entries of
 * 100,000. Segment, model, model version and a one-element prefix (a key's
 * namespace) pick out large shares of the cache (an experiment arm, every
 * answer of a model), so an invalidation by them alone scans the entries,
 * about 15 ns each, instead of every entry carrying three more slots; a tag
 * or a longer prefix in the same target still narrows it first.
 */
export class InvalidationIndex<E extends Indexable> {
  readonly byTag = new Bucket<string, E>()
  readonly byPrefix = new Bucket<string, E>()
  /** How many entries each segment has: an exact key is looked up in each one. */
  readonly segments = new Map<string, number>()

  add(entry: E): void {
    this.countSegment(entry.segment, 1)
    this.prefixes(entry, 'add')
    this.indexTags(entry.tags, entry, 'add')
  }

  delete(entry: E): void {
    this.countSegment(entry.segment, -1)
    this.prefixes(entry, 'delete')
    this.indexTags(entry.tags, entry, 'delete')
  }

  setTags(entry: E, tags: KeptTags): void {
    this.indexTags(entry.tags, entry, 'delete')
    entry.tags = tags
    if (!entry.removed) this.indexTags(tags, entry, 'add')
  }

  /** A lone tag is kept as a string: indexed without making an array of it. */
  private indexTags(tags: KeptTags, entry: E, op: 'add' | 'delete'): void {
    if (typeof tags === 'string') this.byTag[op](tags, entry)
    else for (const tag of tags) this.byTag[op](tag, entry)
  }

  private prefixes(entry: E, op: 'add' | 'delete'): void {
    // From two elements: a one-element prefix (the namespace) is scanned, see the class comment.
    for (const prefix of prefixHashes(entry.hash)) this.byPrefix[op](prefix, entry)
  }

  private countSegment(segment: string | undefined, by: number): void {
    if (segment === undefined) return
    const count = (this.segments.get(segment) ?? 0) + by
    if (count > 0) this.segments.set(segment, count)
    else this.segments.delete(segment)
  }
}
