// @vitest-environment node
import { afterEach, describe, expect, it } from 'vitest'
import type { EventStore, StoredEvent } from '../../src/server'
import type { InvalidationMessage } from '../../src/stream/schema'
import { deferred } from '../helpers/deferred'
import { startHub, type HubServer } from './hub-setup'

// When a Redis stream starts a new life whose ids lie below the last one the
// hub's reader read, the store calls `lost()` and reads the new life from its
// start. A browser that connected right then, before the reader had delivered
// the new life's first events, was parked those events, and its sync took the
// id of the last event delivered before `lost()`: an id of the old life, above
// the new life's first events. Those were then skipped as already sent, and
// the browser showed what they invalidated as fresh.

const tag = (name: string): InvalidationMessage => ({ type: 'invalidate', tags: [name] })

/** A store the test drives: what the subscription delivers, when it says lost, and what the head read answers. */
function drivenStore() {
  let listener: ((event: StoredEvent) => void) | undefined
  let onLost: (() => void) | undefined
  let head: string | undefined
  const reading = deferred<void>()
  const gate = deferred<void>()
  const store: EventStore = {
    append: () => Promise.reject(new Error('not used')),
    readAfter: () => Promise.resolve('unavailable'),
    lastId: async () => {
      reading.resolve()
      await gate.promise
      return head
    },
    subscribe(l, lost) {
      listener = l
      onLost = lost
      return () => {
        listener = undefined
        onLost = undefined
      }
    },
    compare: (a, b) => Number(a.split('-')[0]) - Number(b.split('-')[0]) || Number(a.split('-')[1]) - Number(b.split('-')[1]),
    close: () => Promise.resolve(),
  }
  return {
    store,
    reading,
    gate,
    deliver: (event: StoredEvent) => listener!(event),
    lost: () => onLost!(),
    setHead: (id: string) => void (head = id),
  }
}

let running: HubServer | undefined
afterEach(async () => {
  await running?.stop()
  running = undefined
})

describe('a browser that connects after the store lost events, before the new life is delivered', () => {
  it("gets every event of the new life, and a sync id that is not the old life's", async () => {
    const driven = drivenStore()
    running = await startHub({ store: driven.store })

    // The old life: the hub delivered 5000-0.
    driven.deliver({ id: '5000-0', message: tag('old') })
    // The stream starts again below it; the reader says lost, and will read it from its start.
    driven.lost()
    driven.setHead('6000-0')

    const client = await running.connect()
    await driven.reading.promise // registered; its head read is on the way
    driven.deliver({ id: '1000-0', message: tag('below') })
    driven.deliver({ id: '6000-0', message: tag('above') })
    driven.gate.resolve()

    await client.waitFor((s) => s.messages().some((m) => m.id === '6000-0') || s.isEnded, 'the last event')
    const [sync, ...events] = client.messages()
    expect(sync!.message).toEqual({ type: 'sync', replay: 'none' })
    expect(sync!.id).not.toBe('5000-0')
    expect(events).toEqual([
      { id: '1000-0', message: tag('below') },
      { id: '6000-0', message: tag('above') },
    ])
  })
})
