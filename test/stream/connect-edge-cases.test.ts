// @vitest-environment node
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createCache } from '../../src/core/cache'
import { connectInvalidations } from '../../src/stream/connect'
import { FakeEventSource, fakeEventSourceImpl } from '../helpers/fake-event-source'

afterEach(() => {
  vi.useRealTimers()
  vi.restoreAllMocks()
})

function setup(extra: Record<string, unknown> = {}) {
  const onError = vi.fn()
  const cache = createCache({ staleTime: 60_000, now: () => 1_000, onError })
  cache.set(['a'], 1)
  const invalidate = vi.spyOn(cache, 'invalidate')
  return { cache, onError, invalidate, ...extra }
}

describe('probe connect', () => {
  it('sync before open, sync twice', () => {
    const { cache, invalidate } = setup()
    const source = new FakeEventSource()
    const c = connectInvalidations(cache, { source })
    source.emit({ type: 'sync', replay: 'none' })
    source.open()
    expect(invalidate).not.toHaveBeenCalled()
    source.drop(); source.open()
    source.emit({ type: 'sync', replay: 'complete' })
    source.emit({ type: 'sync', replay: 'unavailable' })
    expect(invalidate).not.toHaveBeenCalled()
    c.close()
  })
  it('replayed events then unavailable', () => {
    const { cache, invalidate } = setup()
    const source = new FakeEventSource()
    const c = connectInvalidations(cache, { source })
    source.open(); source.emit({ type: 'sync', replay: 'none' }, { id: '1-0' })
    source.drop(); source.open()
    source.emit({ type: 'invalidate', tags: ['x'] }, { id: '2-0' })
    expect(invalidate).toHaveBeenCalledTimes(1)
    source.emit({ type: 'sync', replay: 'unavailable' }, { id: '2-0' })
    expect(invalidate).toHaveBeenCalledTimes(2)
    expect(invalidate.mock.calls[1]![0]).toEqual({})
    c.close()
  })
  it('close during pending replacement, and after replacement', () => {
    vi.useFakeTimers()
    const { cache } = setup()
    const { impl, instances } = fakeEventSourceImpl()
    const c = connectInvalidations(cache, { url: 'https://x.test/e', eventSourceImpl: impl })
    instances[0]!.fail()
    expect(c.state).toBe('connecting')
    c.close()
    vi.advanceTimersByTime(60_000)
    expect(instances.length).toBe(1)
    expect(c.state).toBe('closed')

    // The top of each backoff's random range (see connect.test.ts).
    vi.spyOn(Math, 'random').mockReturnValue(0.999_999)
    const c2 = connectInvalidations(cache, { url: 'https://x.test/e', eventSourceImpl: impl })
    instances[1]!.fail(); vi.advanceTimersByTime(999); expect(instances.length).toBe(2)
    vi.advanceTimersByTime(1); expect(instances.length).toBe(3)
    expect(instances[1]!.listenerCount()).toBe(0)
    instances[2]!.fail(); vi.advanceTimersByTime(1999); expect(instances.length).toBe(3)
    vi.advanceTimersByTime(1); expect(instances.length).toBe(4)
    c2.close()
    expect(instances[3]!.closeCalls).toBe(1)
    expect(instances[3]!.listenerCount()).toBe(0)
  })
  it('errors before ever opening, then opens: no invalidation (first open)', () => {
    const { cache, invalidate } = setup()
    const source = new FakeEventSource()
    const c = connectInvalidations(cache, { source })
    source.drop()
    expect(c.state).toBe('connecting')
    source.open()
    expect(invalidate).not.toHaveBeenCalled()
    c.close()
  })
  it('all: true with mode remove', () => {
    const { cache } = setup()
    const source = new FakeEventSource()
    const c = connectInvalidations(cache, { source })
    source.open()
    source.emit({ type: 'invalidate', all: true, mode: 'remove' }, { id: '1-0' })
    expect(cache.get(['a'])?.data).toBeUndefined()
    c.close()
  })
  it('set with model, etag, tags', () => {
    const onError = vi.fn()
    const cache = createCache({ staleTime: 60_000, now: () => 1_000, onError, models: { m: 'r1' } })
    const source = new FakeEventSource()
    const c = connectInvalidations(cache, { source })
    source.open()
    source.emit({ type: 'set', key: ['k'], segment: 's', data: { v: 1 }, etag: 'W/"x"', tags: ['t'], model: 'm' }, { id: '1-0' })
    const e = cache.get(['k'], 's')!
    expect(e.data).toEqual({ v: 1 })
    expect(e.etag).toBe('W/"x"')
    expect(e.modelVersion).toBe('r1')
    source.emit({ type: 'invalidate', tags: ['t'] }, { id: '2-0' })
    expect(cache.get(['k'], 's')!.isStale).toBe(true)
    expect(onError).not.toHaveBeenCalled()
    c.close()
  })
})
