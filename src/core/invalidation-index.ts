import { prefixHashes } from './key'
import { tagList, type KeptTags } from './tags'

/** What the index needs to know of an entry. */
export interface Indexable {
  readonly id: string
  /** The key's hash. */
  readonly hash: string
  readonly segment: string | undefined
  /** Out of the cache: its fields still change, the index no longer holds it. */
  readonly removed: boolean
  tags: KeptTags
  indexedModel: string | undefined
  readonly modelVersion: string | undefined
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

  keys(): IterableIterator<K> {
    return this.map.keys()
  }
}

export function sizeOf<E>(items: readonly E[] | Set<E>): number {
  return items instanceof Set ? items.size : items.length
}

/**
 * Secondary indexes so that an invalidation costs what it matches, not the
 * size of the cache: by tag, segment, model, model version and every proper
 * key prefix. The exact key is looked up through the entries map itself.
 */
export class InvalidationIndex<E extends Indexable> {
  readonly byTag = new Bucket<string, E>()
  /** Entries without a segment are not indexed: a target's segment is a string. */
  readonly bySegment = new Bucket<string, E>()
  readonly byModel = new Bucket<string, E>()
  readonly byVersion = new Bucket<string, E>()
  /**
   * Every proper key prefix; built by the first prefix invalidation, kept up
   * to date from then on (a cache that never has one pays nothing for it).
   */
  private prefixes: Bucket<string, E> | undefined

  /** The prefix index, built from `entries` the first time it is needed. */
  byPrefix(entries: Iterable<E>): Bucket<string, E> {
    if (!this.prefixes) {
      this.prefixes = new Bucket()
      for (const entry of entries) this.eachPrefix(entry, 'add')
    }
    return this.prefixes
  }

  private eachPrefix(entry: E, op: 'add' | 'delete'): void {
    if (this.prefixes) for (const prefix of prefixHashes(entry.hash)) this.prefixes[op](prefix, entry)
  }

  add(entry: E): void {
    if (entry.segment !== undefined) this.bySegment.add(entry.segment, entry)
    this.eachPrefix(entry, 'add')
    for (const tag of tagList(entry.tags)) this.byTag.add(tag, entry)
    if (entry.indexedModel !== undefined) this.byModel.add(entry.indexedModel, entry)
    if (entry.modelVersion !== undefined) this.byVersion.add(entry.modelVersion, entry)
  }

  delete(entry: E): void {
    if (entry.segment !== undefined) this.bySegment.delete(entry.segment, entry)
    this.eachPrefix(entry, 'delete')
    for (const tag of tagList(entry.tags)) this.byTag.delete(tag, entry)
    if (entry.indexedModel !== undefined) this.byModel.delete(entry.indexedModel, entry)
    if (entry.modelVersion !== undefined) this.byVersion.delete(entry.modelVersion, entry)
  }

  setTags(entry: E, tags: KeptTags): void {
    for (const tag of tagList(entry.tags)) this.byTag.delete(tag, entry)
    entry.tags = tags
    if (!entry.removed) for (const tag of tagList(tags)) this.byTag.add(tag, entry)
  }

  setModel(entry: E, model: string | undefined): void {
    if (entry.indexedModel !== undefined) this.byModel.delete(entry.indexedModel, entry)
    entry.indexedModel = model
    if (model !== undefined && !entry.removed) this.byModel.add(model, entry)
  }

  /** The entry's modelVersion changed from `previous`. */
  setVersion(entry: E, previous: string | undefined): void {
    if (previous !== undefined) this.byVersion.delete(previous, entry)
    if (entry.modelVersion !== undefined && !entry.removed) this.byVersion.add(entry.modelVersion, entry)
  }
}
