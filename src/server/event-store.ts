import type { InvalidationMessage } from '../stream/schema'

/** One stored message with the id the store gave it. */
export interface StoredEvent {
  readonly id: string
  readonly message: InvalidationMessage
}

/**
 * Where the hub keeps published messages: it stores them, replays the ones a
 * reconnecting browser missed, and tells every hub instance about new ones.
 * `memoryStore()` and `redisStore()` implement it; a hub owns its store and
 * closes it when the hub closes.
 */
export interface EventStore {
  /** Stores one (already validated) message; resolves with its id. Rejects when the store is unreachable. */
  append(message: InvalidationMessage): Promise<string>
  /**
   * The retained events after `id`, oldest first; `'unavailable'` when the
   * store cannot vouch that nothing after `id` was lost: `id` has aged out of
   * the retention, is malformed, or was never issued by this store.
   */
  readAfter(id: string): Promise<readonly StoredEvent[] | 'unavailable'>
  /**
   * The id of the newest stored event. While there is none: an id below every
   * event it will store that `readAfter` vouches for (`memoryStore`'s birth
   * id), or `undefined` (the hub's `sync` then carries no id).
   */
  lastId(): Promise<string | undefined>
  /**
   * Calls `listener` with every event stored from now on (by this process or,
   * for a shared store, any other), in id order. Returns the unsubscribe.
   * A shared store calls `lost` when events were stored that it can no longer
   * deliver (its reader fell behind the retention, or the stream started
   * again with ids below the last one it read): the hub then ends its
   * streams, and each browser's reconnect learns from the replay what to refetch.
   */
  subscribe(listener: (event: StoredEvent) => void, lost?: () => void): () => void
  /** Orders two ids of this store: negative, zero or positive. */
  compare(a: string, b: string): number
  /** Releases timers and connections. */
  close(): Promise<void>
}

/**
 * A store's append failed after the message was handed over (Redis took
 * longer to answer than the command timeout): the store may still keep it,
 * and deliver it. Internal to `cachet/server`: the hub words its error so.
 */
export class UnconfirmedAppendError extends Error {}
