import { sameElements } from './key'

/**
 * An entry's tags as it keeps them: a lone tag (the common case) as the bare
 * string, so no array per entry; none or several as a frozen copy.
 */
export type KeptTags = string | readonly string[]

const NO_TAGS: readonly string[] = /* @__PURE__ */ Object.freeze([])

export function keepTags(tags: readonly string[] | undefined): KeptTags {
  return tags?.length === 1 ? tags[0]! : tags?.length ? Object.freeze([...tags]) : NO_TAGS
}

/** Whether the entry lists `tag`; no array is made for a lone tag (matching runs per candidate). */
export function hasTag(kept: KeptTags, tag: string): boolean {
  return typeof kept === 'string' ? kept === tag : kept.includes(tag)
}

/** Whether `tags` are the ones kept, element by element (runs on every render that passes tags). */
export function sameTags(tags: readonly string[], kept: KeptTags): boolean {
  return typeof kept === 'string' ? tags.length === 1 && tags[0] === kept : sameElements(tags, kept)
}

/** The tags as a (frozen) array: a new one for a lone tag, so for snapshots and index updates. */
export function tagList(tags: KeptTags): readonly string[] {
  return typeof tags === 'string' ? Object.freeze([tags]) : tags
}
