import type { QueryKey } from './types'

// A key's hash is its elements' JSON joined by \u0001: JSON escapes control
// characters, so the separator never occurs inside an element and the hash
// splits back into its elements (entries keep only the hash, not the parts).
const SEPARATOR = '\u0001'

/** A validated key: its stable hash and the hash of each element (for prefix matching). */
export interface HashedKey {
  hash: string
  parts: readonly string[]
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
  const parts: string[] = []
  const ancestors: unknown[] = [key]
  const paths: string[] = [name]
  for (let i = 0; i < key.length; i++) {
    parts.push(stringify(key[i], `${name}[${i}]`, ancestors, paths))
  }
  return { hash: parts.join(SEPARATOR), parts }
}

function stringify(value: unknown, path: string, ancestors: unknown[], paths: string[]): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value)
    case 'boolean':
      return value ? 'true' : 'false'
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`${path}: ${value} is not a JSON value`)
      return String(value)
    case 'undefined':
      // ['user', undefined] is a common "not known yet" key; keep it apart from null.
      return 'u'
    case 'object': {
      if (value === null) return 'null'
      const back = ancestors.indexOf(value)
      if (back !== -1) {
        throw new TypeError(`${path}: cycle (refers back to ${paths[back]})`)
      }
      ancestors.push(value)
      paths.push(path)
      try {
        if (Array.isArray(value)) {
          const items: string[] = []
          for (let i = 0; i < value.length; i++) items.push(stringify(value[i], `${path}[${i}]`, ancestors, paths))
          return `[${items.join(',')}]`
        }
        const proto: unknown = Object.getPrototypeOf(value)
        if (proto !== Object.prototype && proto !== null) {
          throw new TypeError(`${path}: ${describe(value)} is not a JSON value`)
        }
        const record = value as Record<string, unknown>
        const fields: string[] = []
        for (const field of Object.keys(record).sort()) {
          const item = record[field]
          if (item === undefined) continue
          fields.push(`${JSON.stringify(field)}:${stringify(item, `${path}.${field}`, ancestors, paths)}`)
        }
        return `{${fields.join(',')}}`
      } finally {
        ancestors.pop()
        paths.pop()
      }
    }
    default:
      throw new TypeError(`${path}: ${describe(value)} is not a JSON value`)
  }
}

function describe(value: unknown): string {
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
  return segment === undefined ? hash : `${hash}\u0000${segment}`
}

/** The hash of the first `length` elements: the hash of that shorter key. */
export function prefixHash(parts: readonly string[], length: number): string {
  return parts.slice(0, length).join(SEPARATOR)
}

/** The element hashes of a key hash. */
export function partsOf(hash: string, keyLength: number): readonly string[] {
  return keyLength === 0 ? [] : hash.split(SEPARATOR)
}

/** A readable form of a key for error messages: `["recs",7]`. Keys are checked JSON, so this cannot throw. */
export function formatKey(key: QueryKey, segment?: string): string {
  const text = JSON.stringify(key)
  return segment === undefined ? text : `${text} (segment ${JSON.stringify(segment)})`
}
