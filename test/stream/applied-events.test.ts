// @vitest-environment node
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createCache } from '../../src/core/cache'
import { REMEMBERED_EVENTS, applyingEvent, eventBeingApplied, wasApplied } from '../../src/stream/applied-events'
import { connectInvalidations, type InvalidationConnection } from '../../src/stream/connect'
import { FakeEventSource } from '../helpers/fake-event-source'

const connections: InvalidationConnection[] = []
afterEach(() => {
  for (const connection of connections.splice(0)) connection.close()
})

const event = (id: string, stream = 'https://app.test/events') => ({ id, stream })

describe('applied events registry', () => {
  it('names the event being applied only while its apply runs, and remembers it after', () => {
    const cache = createCache()
    expect(eventBeingApplied(cache)).toBeUndefined()
    const seen = applyingEvent(cache, event('1'), () => eventBeingApplied(cache))
    expect(seen).toEqual(event('1'))
    expect(eventBeingApplied(cache)).toBeUndefined()
    expect(wasApplied(cache, event('1'))).toBe(true)
    // Scoped by stream: another stream's "1" is another event.
    expect(wasApplied(cache, event('1', 'https://other.test/events'))).toBe(false)
    expect(wasApplied(createCache(), event('1'))).toBe(false)
  })

  it('clears the event being applied when the apply throws', () => {
    const cache = createCache()
    expect(() =>
      applyingEvent(cache, event('1'), () => {
        throw new Error('bad key')
      }),
    ).toThrow('bad key')
    expect(eventBeingApplied(cache)).toBeUndefined()
  })

  it(`remembers the last ${REMEMBERED_EVENTS} events, forgetting the oldest first`, () => {
    const cache = createCache()
    for (let n = 0; n <= REMEMBERED_EVENTS; n++) applyingEvent(cache, event(String(n)), () => {})
    expect(wasApplied(cache, event('0'))).toBe(false)
    expect(wasApplied(cache, event('1'))).toBe(true)
    expect(wasApplied(cache, event(String(REMEMBERED_EVENTS)))).toBe(true)
    // Seeing an id again does not make it younger (first in, first out).
    applyingEvent(cache, event('1'), () => {})
    applyingEvent(cache, event('new'), () => {})
    expect(wasApplied(cache, event('1'))).toBe(false)
  })
})

describe('connectInvalidations with event ids', () => {
  function setup() {
    const cache = createCache({ staleTime: 60_000, now: () => 1_000 })
    cache.set(['recs', 1], 'one', { tags: ['product:42'] })
    const invalidate = vi.spyOn(cache, 'invalidate')
    const source = new FakeEventSource('https://app.test/events')
    connections.push(connectInvalidations(cache, { source }))
    source.open()
    return { cache, invalidate, source }
  }
  const edit = { type: 'invalidate', tags: ['product:42'] }

  it('skips an event already applied through the relay', () => {
    const { cache, invalidate, source } = setup()
    applyingEvent(cache, event('7-0'), () => {})
    source.emit(edit, { id: '7-0' })
    expect(invalidate).not.toHaveBeenCalled()
    source.emit(edit, { id: '8-0' })
    expect(invalidate).toHaveBeenCalledOnce()
    expect(wasApplied(cache, event('8-0'))).toBe(true)
  })

  it("applies an event that only repeats the previous event's id (an EventSource hands its last id to events without one)", () => {
    const { invalidate, source } = setup()
    source.emit(edit, { id: '7-0' })
    source.emit({ type: 'invalidate', tags: ['other'] }, { id: '7-0' })
    expect(invalidate.mock.calls.map(([target]) => target)).toEqual([{ tags: ['product:42'] }, { tags: ['other'] }])
  })

  it('still counts a skipped replayed event and the sync after it for the reconnect bookkeeping', () => {
    const { cache, invalidate, source } = setup()
    source.emit({ type: 'sync', replay: 'none' })
    source.drop()
    // While this tab was disconnected another tab relayed 9-0 to it.
    applyingEvent(cache, event('9-0'), () => {})
    source.open()
    source.emit(edit, { id: '9-0' })
    source.emit({ type: 'sync', replay: 'complete' })
    expect(invalidate).not.toHaveBeenCalled()
    source.drop()
    source.open()
    source.emit({ type: 'sync', replay: 'unavailable' })
    expect(invalidate).toHaveBeenCalledExactlyOnceWith({})
  })
})
