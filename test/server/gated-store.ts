import { memoryStore, type EventStore } from '../../src/server'
import { deferred } from '../helpers/deferred'

/**
 * A memory store whose replay and head reads tell `reading`, then wait for
 * `gate`: a test publishes in that window. Each is read after the wait (it
 * counts what was published meanwhile), or before it with `replayBeforeGate`
 * / `headBeforeGate` (what was published meanwhile is then newer than the
 * read: only parked).
 */
export function gatedStore({ replayBeforeGate = false, headBeforeGate = false } = {}) {
  const inner = memoryStore()
  const gate = deferred<void>()
  const reading = deferred<void>()
  const store: EventStore = {
    ...inner,
    readAfter: async (id) => {
      const early = replayBeforeGate ? await inner.readAfter(id) : undefined
      reading.resolve()
      await gate.promise
      return early ?? inner.readAfter(id)
    },
    lastId: async () => {
      const early = headBeforeGate ? await inner.lastId() : undefined
      reading.resolve()
      await gate.promise
      return headBeforeGate ? early : inner.lastId()
    },
  }
  return { store, gate, reading }
}
