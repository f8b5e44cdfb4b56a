import type { InvalidationMessage } from '../stream/schema'
import type { EventStore, StoredEvent } from './event-store'
import { compareStreamIds, isStreamId, streamIdGenerator } from './stream-id'

export interface MemoryStoreOptions {
  /** How many of the newest events are kept for replay. Default 10_000. */
  retain?: number | undefined
}

/**
 * The embedded store: no setup, one process. Events are lost when the process
 * exits; a browser that comes back after a restart is told `'unavailable'`.
 * While it holds no event, `lastId()` is its birth id, which `readAfter`
 * vouches for (nothing was missed) until an event after it is dropped.
 */
export function memoryStore(options: MemoryStoreOptions = {}): EventStore {
  const retain = options.retain ?? 10_000
  if (!Number.isInteger(retain) || retain < 1) {
    throw new RangeError(`memoryStore: retain must be a positive integer (got ${String(retain)})`)
  }
  const nextId = streamIdGenerator()
  // This store's birth: an id below every event it will store, and its head
  // while it holds none. A hub's first sync carries it, so a browser that
  // connects before the first publish (or after a restart) holds an id that
  // replays 'complete' at its next reconnect, rather than none (a 'none' sync,
  // and a refetch, at every cut) or a dead one ('unavailable' at every cut).
  const birth = nextId()
  // Retained events are events[start..]; dropping from the front only moves
  // `start`, and the array is compacted once the dead prefix is as long as
  // the live part, so trimming stays O(1) amortised.
  let events: StoredEvent[] = []
  let start = 0
  // The newest id ever dropped: a client that saw it missed nothing retained.
  // The birth counts as dropped until a stored event is: a client at the
  // birth has then missed one.
  let lastDropped = birth
  const listeners = new Set<(event: StoredEvent) => void>()
  let closed = false

  const retained = () => events.length - start
  const newest = () => events[events.length - 1]

  function trim(): void {
    while (retained() > retain) {
      lastDropped = events[start]!.id
      start++
    }
    if (start > 0 && start >= retained()) {
      events = events.slice(start)
      start = 0
    }
  }

  // Whether this store issued `id` and missed nothing after it: a retained
  // event's id, or the newest dropped one (nothing between it and the oldest
  // retained event was dropped), which is the birth until one is. Only an
  // exact match counts: an id that merely falls in the retained range may
  // come from an earlier process whose clock ran ahead of this one's (ids are
  // wall-clock based), and the events this process stored below it would be
  // skipped.
  function isKnown(id: string): boolean {
    if (id === lastDropped) return true
    const at = indexAfter(id)
    return at > start && events[at - 1]!.id === id
  }

  // Index of the first retained event with an id greater than `id`.
  function indexAfter(id: string): number {
    let low = start
    let high = events.length
    while (low < high) {
      const mid = (low + high) >>> 1
      if (compareStreamIds(events[mid]!.id, id) <= 0) low = mid + 1
      else high = mid
    }
    return low
  }

  return {
    append(message: InvalidationMessage) {
      if (closed) return Promise.reject(new Error('memoryStore: the store is closed'))
      const event: StoredEvent = { id: nextId(), message }
      events.push(event)
      trim()
      for (const listener of [...listeners]) {
        try {
          listener(event)
        } catch {
          // One failing listener must not keep the event from the others.
        }
      }
      return Promise.resolve(event.id)
    },
    readAfter(id: string) {
      if (!isStreamId(id) || !isKnown(id)) return Promise.resolve('unavailable' as const)
      return Promise.resolve(events.slice(indexAfter(id)))
    },
    lastId() {
      return Promise.resolve(newest()?.id ?? birth)
    },
    subscribe(listener) {
      listeners.add(listener)
      return () => {
        listeners.delete(listener)
      }
    },
    compare: compareStreamIds,
    close() {
      closed = true
      listeners.clear()
      return Promise.resolve()
    },
  }
}
