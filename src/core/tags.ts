/**
 * An entry's tags as it keeps them: a lone tag (the common case) as the bare
 * string, so no array per entry; none or several as a frozen copy.
 */
export type KeptTags = string | readonly string[]

const NO_TAGS: readonly string[] = Object.freeze([])

export function keepTags(tags: readonly string[] | undefined): KeptTags {
  return tags?.length === 1 ? tags[0]! : tags?.length ? Object.freeze([...tags]) : NO_TAGS
}

/** The tags as a (frozen) array. */
export function tagList(tags: KeptTags): readonly string[] {
  return typeof tags === 'string' ? Object.freeze([tags]) : tags
}
