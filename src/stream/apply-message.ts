import type { Cache, InvalidationTarget } from '../core/types'
import { applyingEvent, changing, wasApplied, type ServerEvent } from './applied-events'
import type { InvalidationMessage } from './schema'

/** The messages that change a cache; `sync` is the connection's business. */
export type CacheMessage = Exclude<InvalidationMessage, { type: 'sync' }>
type InvalidateMessage = Extract<InvalidationMessage, { type: 'invalidate' }>

/**
 * Turns a validated `invalidate` message into the target it names. Only the
 * fields the message gives are copied, so an absent field never reaches the
 * cache as `undefined`. `all: true` adds nothing: it is the explicit consent to
 * an empty target (`{}` hits every entry), and with other fields present it
 * means "all of those" (fields AND together, as everywhere else). The relay
 * copies a target's fields into its message the same way (a predicate is left out).
 */
export function targetOf(message: InvalidateMessage | InvalidationTarget): InvalidationTarget {
  return given(message, ['key', 'exact', 'tags', 'segment', 'model', 'modelVersion'])
}

/** The `fields` of `from` that are not undefined. */
function given<T extends object, K extends keyof T>(from: T, fields: readonly K[]): { [P in K]?: Exclude<T[P], undefined> } {
  const out: { [P in K]?: T[P] } = {}
  for (const field of fields) if (from[field] !== undefined) out[field] = from[field]
  return out as { [P in K]?: Exclude<T[P], undefined> }
}

/**
 * Applies one validated message to the cache through its public interface.
 * Returns the invalidation's promise (so the caller can report a rejection),
 * or undefined for messages that finish synchronously. Throws what the cache
 * throws (a `set` whose key holds something a key may not).
 */
export function applyMessage(cache: Cache, message: CacheMessage): Promise<number> | undefined {
  switch (message.type) {
    case 'invalidate':
      return cache.invalidate(changing(targetOf(message)), message.mode ? { mode: message.mode } : undefined)
    case 'model-version':
      cache.setModelVersion(changing(message.model), message.version, message.policy ? { policy: message.policy } : undefined)
      return undefined
    case 'set': {
      // JSON never yields a function, so `data` is never taken for an updater.
      cache.set(message.key, message.data, given(message, ['segment', 'etag', 'tags', 'model']))
      return undefined
    }
  }
}

/**
 * Applies a message once per server event: a tab gets each event from its own
 * stream and from another tab's relay, and a second apply would only cost a
 * second fetch. Returns what `applyMessage` returns, or undefined when the
 * event was applied already. A message without a server event always applies.
 */
export function applyOnce(cache: Cache, message: CacheMessage, event: ServerEvent | undefined): Promise<number> | undefined {
  if (!event) return applyMessage(cache, message)
  if (wasApplied(cache, event)) return undefined
  return applyingEvent(cache, event, () => applyMessage(cache, message))
}
