import { prefixHash } from './key'

/** What the index needs to know of an entry. */
export interface Indexable {
  readonly id: string
  readonly hash: string
  readonly parts: readonly string[]
  readonly segment: string | undefined
  indexedTags: readonly string[]
  indexedModel: string | undefined
  indexedVersion: string | undefined
}

/**
 * Secondary indexes so that an invalidation costs what it matches, not the
 * size of the cache: by tag, segment, model, model version and every proper
 * key prefix. The exact key is looked up through the entries map itself.
 */
export class InvalidationIndex<E extends Indexable> {
  readonly byTag = new Map<string, Set<E>>()
  readonly bySegment = new Map<string | undefined, Set<E>>()
  readonly byModel = new Map<string, Set<E>>()
  readonly byVersion = new Map<string, Set<E>>()
  readonly byPrefix = new Map<string, Set<E>>()

  add(entry: E): void {
    addTo(this.bySegment, entry.segment, entry)
    for (let length = 1; length < entry.parts.length; length++) {
      addTo(this.byPrefix, prefixHash(entry.parts, length), entry)
    }
    for (const tag of entry.indexedTags) addTo(this.byTag, tag, entry)
    if (entry.indexedModel !== undefined) addTo(this.byModel, entry.indexedModel, entry)
    if (entry.indexedVersion !== undefined) addTo(this.byVersion, entry.indexedVersion, entry)
  }

  delete(entry: E): void {
    deleteFrom(this.bySegment, entry.segment, entry)
    for (let length = 1; length < entry.parts.length; length++) {
      deleteFrom(this.byPrefix, prefixHash(entry.parts, length), entry)
    }
    for (const tag of entry.indexedTags) deleteFrom(this.byTag, tag, entry)
    if (entry.indexedModel !== undefined) deleteFrom(this.byModel, entry.indexedModel, entry)
    if (entry.indexedVersion !== undefined) deleteFrom(this.byVersion, entry.indexedVersion, entry)
  }

  setTags(entry: E, tags: readonly string[]): void {
    for (const tag of entry.indexedTags) deleteFrom(this.byTag, tag, entry)
    entry.indexedTags = tags
    for (const tag of tags) addTo(this.byTag, tag, entry)
  }

  setModel(entry: E, model: string | undefined): void {
    if (entry.indexedModel !== undefined) deleteFrom(this.byModel, entry.indexedModel, entry)
    entry.indexedModel = model
    if (model !== undefined) addTo(this.byModel, model, entry)
  }

  setVersion(entry: E, version: string | undefined): void {
    if (entry.indexedVersion !== undefined) deleteFrom(this.byVersion, entry.indexedVersion, entry)
    entry.indexedVersion = version
    if (version !== undefined) addTo(this.byVersion, version, entry)
  }

  clear(): void {
    this.byTag.clear()
    this.bySegment.clear()
    this.byModel.clear()
    this.byVersion.clear()
    this.byPrefix.clear()
  }
}

function addTo<K, E>(map: Map<K, Set<E>>, key: K, entry: E): void {
  let set = map.get(key)
  if (!set) map.set(key, (set = new Set()))
  set.add(entry)
}

function deleteFrom<K, E>(map: Map<K, Set<E>>, key: K, entry: E): void {
  const set = map.get(key)
  if (!set) return
  set.delete(entry)
  if (set.size === 0) map.delete(key)
}
