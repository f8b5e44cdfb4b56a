// @vitest-environment node
import { describe, expect, it, vi } from 'vitest'
import { createCache } from '../../src/core/cache'
import { internalsOf } from '../../src/core/internals'
import { REMEMBERED_EVENTS, wasApplied } from '../../src/stream/applied-events'
import { broadcastInvalidations } from '../../src/stream/broadcast'
import { connectInvalidations } from '../../src/stream/connect'
import { fakeEventSourceImpl } from '../helpers/fake-event-source'
import { fakeTimersEachTest, flush } from '../helpers/core'

// Long-running use of the stream client and the cross-tab relay: nothing grows or stays attached.

fakeTimersEachTest()

describe('a stream open for days', () => {
  it('keeps one source with listeners across many give-up/replace cycles, and close() leaves no timer', async () => {
    const cache = createCache()
    const { impl, instances } = fakeEventSourceImpl()
    const connection = connectInvalidations(cache, { url: 'http://x/events', eventSourceImpl: impl })
    for (let n = 0; n < 50; n++) {
      instances.at(-1)!.fail()
      await vi.advanceTimersByTimeAsync(30_000)
      instances.at(-1)!.open()
    }
    expect(instances).toHaveLength(51)
    expect(instances.slice(0, -1).every((s) => s.listenerCount() === 0 && s.closeCalls === 1)).toBe(true)
    instances.at(-1)!.fail() // a retry pending when the app closes it
    connection.close()
    expect(vi.getTimerCount()).toBe(0)
    expect(instances.at(-1)!.listenerCount()).toBe(0)
  })

  it('remembers at most REMEMBERED_EVENTS applied server event ids', async () => {
    const cache = createCache()
    const { impl, instances } = fakeEventSourceImpl()
    const connection = connectInvalidations(cache, { url: 'http://x/events', eventSourceImpl: impl })
    instances[0]!.open()
    for (let n = 1; n <= 5_000; n++) instances[0]!.emit({ type: 'invalidate', tags: ['t'] }, { id: `${n}-0` })
    await flush()
    expect(wasApplied(cache, { id: '5000-0', stream: 'http://x/events' })).toBe(true)
    expect(wasApplied(cache, { id: `${5_000 - REMEMBERED_EVENTS}-0`, stream: 'http://x/events' })).toBe(false)
    connection.close()
  })

  it('a stopped relay leaves no cache listener and closes its channel', () => {
    const cache = createCache()
    const close = vi.spyOn(BroadcastChannel.prototype, 'close')
    for (let n = 0; n < 20; n++) broadcastInvalidations(cache, { channel: 'leak-review' })()
    expect(close).toHaveBeenCalledTimes(20)
    expect((internalsOf(cache) as unknown as { listeners: Set<unknown> }).listeners.size).toBe(0)
  })
})
