import type { QueryKey } from './types'

// A key's hash is its elements' JSON joined by \u0001: JSON escapes control
// characters, so the separator never occurs inside an element and the hash
// splits back into its elements (entries keep only the hash, not the parts).
const SEPARATOR = '\u0001'

/** A validated key: its stable hash. */
export interface HashedKey {
  hash: string
  /** The hash cannot be read back into the key (see keyFromHash): keep the key. */
  lossy: boolean
}

/**
 * Hashes a key stably (object fields sorted) and rejects anything that is not
 * a JSON value with a TypeError naming the path: `key[1].range.from: Date is
 * not a JSON value`. `undefined` object fields are left out, as JSON does.
 */
export function hashKey(key: unknown, name = 'key'): HashedKey {
  if (!Array.isArray(key)) {
    throw new TypeError(`${name}: a query key must be an array, got ${describe(key)}`)
  }
  // Hashing runs on every fetch, get, set and mount: the walk keeps the path
  // as a stack of indexes and field names and spells it out only for an
  // error. Both arrays start at their size: pushing onto [] grows an array to
  // 17 slots, ~300 bytes per hash for a two-element key.
  const walk: Walk = { name, path: [0], ancestors: [key], lossy: false }
  const parts = new Array<string>(key.length)
  for (let i = 0; i < key.length; i++) {
    walk.path[0] = i
    parts[i] = stringify(key[i], walk)
  }
  return { hash: parts.join(SEPARATOR), lossy: walk.lossy }
}

/**
 * The key a hash came from, rebuilt (object fields in sorted order): entries
 * keep the hash, not the key array. Not for a `lossy` hash.
 */
export function keyFromHash(hash: string): QueryKey {
  return hash === '' ? [] : hash.split(SEPARATOR).map((part): unknown => (part === 'u' ? undefined : JSON.parse(part)))
}

interface Walk {
  name: string
  /** Indexes and field names from the key down to the value being hashed. */
  path: (string | number)[]
  /** The arrays and objects being hashed, outermost first: the one at index i sits at path length i. */
  ancestors: unknown[]
  /** An `undefined` inside a nested array was hashed as `u`, which JSON cannot read back. */
  lossy: boolean
}

/** A path as code would write it: `key[1].range.from`, or `tags[1]` from an empty root. */
export function formatPath(root: string, path: readonly PropertyKey[]): string {
  let out = root
  for (const part of path) out += typeof part === 'number' ? `[${part}]` : out ? `.${String(part)}` : String(part)
  return out
}

/** Element-wise identity of two arrays (a render's new key or tags array for the same values). */
export function sameElements(a: readonly unknown[], b: readonly unknown[]): boolean {
  if (a === b) return true
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

function stringify(value: unknown, walk: Walk): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value)
    case 'boolean':
    case 'number':
      // The global isFinite: true for a boolean (coerced to 0 or 1), false for NaN and ±Infinity.
      if (!isFinite(value as number)) throw new TypeError(`${formatPath(walk.name, walk.path)}: ${value} is not a JSON value`)
      return String(value)
    case 'undefined':
      // ['user', undefined] is a common "not known yet" key; keep it apart from null.
      if (walk.path.length > 1) walk.lossy = true
      return 'u'
    case 'object': {
      if (value === null) return 'null'
      const back = walk.ancestors.indexOf(value)
      if (back !== -1) {
        throw new TypeError(`${formatPath(walk.name, walk.path)}: cycle (refers back to ${formatPath(walk.name, walk.path.slice(0, back))})`)
      }
      if (!Array.isArray(value)) {
        const proto: unknown = Object.getPrototypeOf(value)
        if (proto !== Object.prototype && proto !== null) {
          throw new TypeError(`${formatPath(walk.name, walk.path)}: ${describe(value)} is not a JSON value`)
        }
      }
      walk.ancestors.push(value)
      try {
        const items: string[] = []
        if (Array.isArray(value)) {
          for (let i = 0; i < value.length; i++) {
            walk.path.push(i)
            items.push(stringify(value[i], walk))
            walk.path.pop()
          }
          return `[${items.join(',')}]`
        }
        const record = value as Record<string, unknown>
        for (const field of Object.keys(record).sort()) {
          const item = record[field]
          if (item === undefined) continue
          walk.path.push(field)
          items.push(`${JSON.stringify(field)}:${stringify(item, walk)}`)
          walk.path.pop()
        }
        return `{${items.join(',')}}`
      } finally {
        walk.ancestors.pop()
      }
    }
    default:
      throw new TypeError(`${formatPath(walk.name, walk.path)}: ${describe(value)} is not a JSON value`)
  }
}

/** A value for an error message: `null`, `Array`, `string arm:b`, `a function`. */
export function describe(value: unknown): string {
  if (value === null) return 'null'
  const type = typeof value
  if (type === 'object') {
    return (Object.getPrototypeOf(value) as { constructor?: { name?: string } } | null)?.constructor?.name || 'an object'
  }
  // A primitive shows its value (`number NaN`); a function, symbol or bigint only its kind.
  return type === 'function' || type === 'symbol' || type === 'bigint' ? `a ${type}` : `${type} ${String(value)}`
}

/**
 * Whether an entry id (key hash, then \u0000 and the segment if any) has the
 * key hash `prefix` as an element-wise prefix, or (exact) as its whole key,
 * without splitting the id into elements.
 */
export function idHasKey(id: string, prefix: string, exact: boolean): boolean {
  if (!id.startsWith(prefix)) return false
  const next = id.charAt(prefix.length)
  if (next === '' || next === '\u0000') return true
  // An empty prefix (the key []) precedes every key.
  return !exact && (prefix === '' || next === SEPARATOR)
}

/** An entry's id: its key hash, then the segment after a NUL (never inside a hash). */
export function entryId(hash: string, segment: string | undefined): string {
  // join() builds one flat string; `+` would keep a rope of the pieces for the entry's life.
  return segment === undefined ? hash : [hash, segment].join('\u0000')
}

/**
 * The hashes of a key's proper prefixes of two or more elements, shortest
 * first: the hash up to each separator after the first (the index's prefixes).
 */
export function prefixHashes(hash: string): string[] {
  const prefixes: string[] = []
  for (let end = hash.indexOf(SEPARATOR, hash.indexOf(SEPARATOR) + 1); end !== -1; end = hash.indexOf(SEPARATOR, end + 1)) {
    prefixes.push(hash.slice(0, end))
  }
  return prefixes
}

/** A readable form of a key for error messages: `["recs",7]`. Keys are checked JSON, so this cannot throw. */
export function formatKey(key: QueryKey, segment?: string): string {
  const text = JSON.stringify(key)
  return segment === undefined ? text : `${text} (segment ${JSON.stringify(segment)})`
}
