// @vitest-environment node
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createCache } from '../../src/core/cache'
import type { Cache } from '../../src/core/types'
import { connectInvalidations, type InvalidationConnection } from '../../src/stream/connect'
import { FakeEventSource, fakeEventSourceImpl } from '../helpers/fake-event-source'

const connections: InvalidationConnection[] = []
afterEach(() => {
  for (const connection of connections.splice(0)) connection.close()
})

/** A cache with a frozen clock and long staleTime: every entry is fresh until invalidated. */
function setup(options: { onReconnect?: 'invalidate-active' | 'none'; event?: string } = {}) {
  const onError = vi.fn<(error: Error) => void>()
  const cache = createCache({ staleTime: 60_000, now: () => 1_000, onError })
  cache.set(['recs', 1], 'one', { tags: ['product:42'], segment: 'exp-42:b' })
  cache.set(['recs', 2], 'two', { tags: ['inventory'] })
  const invalidate = vi.spyOn(cache, 'invalidate')
  const source = new FakeEventSource()
  const connection = connectInvalidations(cache, { source, ...options })
  connections.push(connection)
  return { cache, onError, invalidate, source, connection }
}

function isStale(cache: Cache, key: readonly unknown[], segment?: string): boolean | undefined {
  return cache.get(key, segment)?.isStale
}

/** Opens, hears a replaying server's first sync (replay 'none'), then drops and opens again. */
function reconnectToReplayingServer(source: FakeEventSource, firstSync: { id?: string } = {}): void {
  source.open()
  source.emit({ type: 'sync', replay: 'none' }, firstSync)
  source.drop()
  source.open()
}

describe('connectInvalidations: messages', () => {
  it('applies an invalidate message to the entries it names, and only those', () => {
    const { cache, source, invalidate } = setup()
    source.open()
    source.emit({ type: 'invalidate', tags: ['product:42'], mode: 'stale' }, { id: '1' })
    expect(invalidate).toHaveBeenCalledExactlyOnceWith({ tags: ['product:42'] }, { mode: 'stale' })
    expect(isStale(cache, ['recs', 1], 'exp-42:b')).toBe(true)
    expect(isStale(cache, ['recs', 2])).toBe(false)
  })

  it('applies mode: remove by dropping the data', () => {
    const { cache, source } = setup()
    source.open()
    source.emit({ type: 'invalidate', key: ['recs', 2], exact: true, mode: 'remove' }, { id: '1' })
    expect(cache.get(['recs', 2])?.data).toBeUndefined()
    expect(cache.get(['recs', 1], 'exp-42:b')?.data).toBe('one')
  })

  it('applies all: true to every entry', () => {
    const { cache, source } = setup()
    source.open()
    source.emit({ type: 'invalidate', all: true }, { id: '1' })
    expect(isStale(cache, ['recs', 1], 'exp-42:b')).toBe(true)
    expect(isStale(cache, ['recs', 2])).toBe(true)
  })

  it('applies a model-version message with its policy', () => {
    const { cache, source } = setup()
    const setModelVersion = vi.spyOn(cache, 'setModelVersion')
    cache.setModelVersion('recommender', 'r2')
    cache.set(['answer'], 'from r2', { model: 'recommender' })
    source.open()
    source.emit({ type: 'model-version', model: 'recommender', version: 'r3', policy: 'immediate' }, { id: '7' })
    expect(setModelVersion).toHaveBeenLastCalledWith('recommender', 'r3', { policy: 'immediate' })
    expect(isStale(cache, ['answer'])).toBe(true)
    expect(isStale(cache, ['recs', 2])).toBe(false)
  })

  it('applies a set message: data, segment, etag and tags', () => {
    const { cache, source } = setup()
    source.open()
    source.emit(
      { type: 'set', key: ['recs', 7], segment: 'exp-42:b', data: { items: [3, 4] }, etag: 'W/"x"', tags: ['user:7'] },
      { id: '8' },
    )
    const entry = cache.get<{ items: number[] }>(['recs', 7], 'exp-42:b')
    expect(entry?.data).toEqual({ items: [3, 4] })
    expect(entry?.etag).toBe('W/"x"')
    expect(entry?.tags).toEqual(['user:7'])
    expect(cache.get(['recs', 7])).toBeUndefined()
  })

  it('listens to the named SSE event only', () => {
    const { cache, source } = setup({ event: 'invalidation' })
    source.open()
    source.emit({ type: 'invalidate', all: true }, { id: '1' })
    expect(isStale(cache, ['recs', 2])).toBe(false)
    source.emit({ type: 'invalidate', all: true }, { id: '2', event: 'invalidation' })
    expect(isStale(cache, ['recs', 2])).toBe(true)
  })
})

describe('connectInvalidations: bad input', () => {
  const cases: Array<[name: string, data: string, reason: RegExp]> = [
    ['not JSON', '{"type": "invalidate", ', /not JSON/],
    ['JSON that is not an object', '[1, 2]', /expected a JSON object/],
    ['an unknown type', '{"type":"purge","all":true}', /unknown type "purge"/],
    ['no type', '{"all":true}', /unknown type undefined/],
    ['a field of the wrong type', '{"type":"invalidate","tags":["a", 7]}', /tags\[1\]: expected string/],
    ['a bad mode', '{"type":"invalidate","all":true,"mode":"wipe"}', /mode: expected "stale" or "remove"/],
    ['an empty invalidate', '{"type":"invalidate"}', /at least one of key, tags/],
    ['an invalidate with only exact', '{"type":"invalidate","exact":true,"mode":"remove"}', /at least one of key, tags/],
    ['a model-version without version', '{"type":"model-version","model":"recommender"}', /version: expected string/],
    ['a set without data', '{"type":"set","key":["recs",7]}', /data: /],
    ['a set whose key is not an array', '{"type":"set","key":"recs","data":1}', /key: expected array/],
    ['a sync with an unknown replay', '{"type":"sync","replay":"partial"}', /replay: expected/],
  ]

  it.each(cases)('%s changes nothing, keeps the connection open, and reaches onError once', (_name, data, reason) => {
    const { cache, source, connection, onError, invalidate } = setup()
    const setModelVersion = vi.spyOn(cache, 'setModelVersion')
    const set = vi.spyOn(cache, 'set')
    source.open()
    const before = [cache.get(['recs', 1], 'exp-42:b'), cache.get(['recs', 2])]
    source.emit(data, { id: '42' })
    expect(invalidate).not.toHaveBeenCalled()
    expect(setModelVersion).not.toHaveBeenCalled()
    expect(set).not.toHaveBeenCalled()
    expect([cache.get(['recs', 1], 'exp-42:b'), cache.get(['recs', 2])]).toEqual(before)
    expect(connection.state).toBe('open')
    expect(source.closeCalls).toBe(0)
    expect(onError).toHaveBeenCalledOnce()
    const error = onError.mock.calls[0]![0]
    expect(error).toBeInstanceOf(Error)
    expect(error.message).toMatch(/^cachet: rejected server event 42: /)
    expect(error.message).toMatch(reason)
  })

  it('says "(no id)" for an event without an id, and goes on applying good events', () => {
    const { cache, source, onError } = setup()
    source.open()
    source.emit('nope')
    expect(onError.mock.calls[0]![0].message).toMatch(/^cachet: rejected server event \(no id\): not JSON/)
    source.emit({ type: 'invalidate', tags: ['inventory'] }, { id: '2' })
    expect(isStale(cache, ['recs', 2])).toBe(true)
  })
})

describe('connectInvalidations: reconnects', () => {
  it('invalidates nothing on the first open', () => {
    const { source, invalidate } = setup()
    source.open()
    expect(invalidate).not.toHaveBeenCalled()
  })

  it('plain server (never sent sync): invalidates every entry as soon as the connection reopens', () => {
    const { cache, source, connection, invalidate } = setup()
    source.open()
    source.emit({ type: 'invalidate', tags: ['nothing'] }, { id: '1' })
    invalidate.mockClear()
    source.drop()
    expect(connection.state).toBe('connecting')
    expect(invalidate).not.toHaveBeenCalled()
    source.open()
    expect(connection.state).toBe('open')
    expect(invalidate).toHaveBeenCalledExactlyOnceWith({})
    expect(isStale(cache, ['recs', 1], 'exp-42:b')).toBe(true)
    expect(isStale(cache, ['recs', 2])).toBe(true)
  })

  it("plain server with onReconnect: 'none': invalidates nothing", () => {
    const { cache, source, invalidate } = setup({ onReconnect: 'none' })
    source.open()
    source.drop()
    source.open()
    expect(invalidate).not.toHaveBeenCalled()
    expect(isStale(cache, ['recs', 2])).toBe(false)
  })

  it("replaying server, replay 'complete': applies the replayed events and invalidates nothing more", () => {
    const { cache, source, invalidate } = setup()
    reconnectToReplayingServer(source, { id: '0' })
    expect(invalidate).not.toHaveBeenCalled()
    // Replayed before the sync: applied as it comes.
    source.emit({ type: 'invalidate', tags: ['inventory'] }, { id: '5' })
    source.emit({ type: 'sync', replay: 'complete' }, { id: '5' })
    expect(invalidate).toHaveBeenCalledExactlyOnceWith({ tags: ['inventory'] }, undefined)
    expect(isStale(cache, ['recs', 2])).toBe(true)
    expect(isStale(cache, ['recs', 1], 'exp-42:b')).toBe(false)
  })

  it("replaying server, replay 'unavailable': invalidates every entry once the sync says so", () => {
    const { cache, source, invalidate } = setup()
    reconnectToReplayingServer(source, { id: '0' })
    expect(invalidate).not.toHaveBeenCalled()
    source.emit({ type: 'sync', replay: 'unavailable' }, { id: '9' })
    expect(invalidate).toHaveBeenCalledExactlyOnceWith({})
    expect(isStale(cache, ['recs', 1], 'exp-42:b')).toBe(true)
    expect(isStale(cache, ['recs', 2])).toBe(true)
  })

  it("replaying server that lost our place (replay 'none' after a reconnect): invalidates", () => {
    const { source, invalidate } = setup()
    reconnectToReplayingServer(source)
    source.emit({ type: 'sync', replay: 'none' })
    expect(invalidate).toHaveBeenCalledExactlyOnceWith({})
  })

  it("replaying server with onReconnect: 'none': a sync 'unavailable' invalidates nothing", () => {
    const { source, invalidate } = setup({ onReconnect: 'none' })
    reconnectToReplayingServer(source)
    source.emit({ type: 'sync', replay: 'unavailable' })
    expect(invalidate).not.toHaveBeenCalled()
  })

  it('a sync outside a reconnect changes nothing', () => {
    const { source, invalidate } = setup()
    source.open()
    source.emit({ type: 'sync', replay: 'unavailable' })
    source.emit({ type: 'sync', replay: 'none' })
    expect(invalidate).not.toHaveBeenCalled()
  })

  it('drops twice before the sync arrives: one invalidation, after the sync', () => {
    const { source, invalidate } = setup()
    reconnectToReplayingServer(source)
    source.drop()
    source.open()
    expect(invalidate).not.toHaveBeenCalled()
    source.emit({ type: 'sync', replay: 'unavailable' })
    expect(invalidate).toHaveBeenCalledOnce()
  })
})

describe('connectInvalidations: lifecycle', () => {
  it('creates its EventSource from eventSourceImpl with url and withCredentials', () => {
    const cache = createCache()
    const { impl, instances } = fakeEventSourceImpl()
    const connection = connectInvalidations(cache, { url: '/events', withCredentials: true, eventSourceImpl: impl })
    connections.push(connection)
    expect(instances).toHaveLength(1)
    expect(instances[0]!.url).toBe('/events')
    expect(instances[0]!.init).toEqual({ withCredentials: true })
  })

  it('replaces a source it created that gave up (a 503, a proxy\'s 502), after a backoff, and then invalidates the active entries', () => {
    vi.useFakeTimers()
    // Each delay is drawn in [d/2, d]: here always its top (the next test draws the bottom).
    const random = vi.spyOn(Math, 'random').mockReturnValue(0.999_999)
    try {
      const cache = createCache({ staleTime: 60_000, now: () => 1 })
      cache.set(['a'], 1)
      const invalidate = vi.spyOn(cache, 'invalidate')
      const { impl, instances } = fakeEventSourceImpl()
      const connection = connectInvalidations(cache, { url: '/events', eventSourceImpl: impl })
      connections.push(connection)
      instances[0]!.open()
      instances[0]!.fail()
      expect(connection.state).toBe('connecting')
      vi.advanceTimersByTime(999)
      expect(instances).toHaveLength(1)
      vi.advanceTimersByTime(1)
      expect(instances).toHaveLength(2)
      expect(instances[0]!.listenerCount()).toBe(0)
      // Backoff grows while the new source keeps failing: 2 s, then 4 s …
      instances[1]!.fail()
      vi.advanceTimersByTime(1_999)
      expect(instances).toHaveLength(2)
      vi.advanceTimersByTime(1)
      expect(instances).toHaveLength(3)
      // It connected without Last-Event-ID: events may have been missed.
      instances[2]!.open()
      expect(connection.state).toBe('open')
      expect(invalidate).toHaveBeenCalledExactlyOnceWith({})
      instances[2]!.emit({ type: 'invalidate', tags: ['x'] })
      expect(invalidate).toHaveBeenCalledTimes(2)
      // …and starts again from 1 s once a source has opened.
      instances[2]!.fail()
      vi.advanceTimersByTime(1_000)
      expect(instances).toHaveLength(4)
    } finally {
      random.mockRestore()
      vi.useRealTimers()
    }
  })

  it('draws each backoff at random between half of it and all of it, so tabs that failed together do not come back together', () => {
    vi.useFakeTimers()
    const random = vi.spyOn(Math, 'random').mockReturnValue(0)
    try {
      const cache = createCache({ staleTime: 60_000, now: () => 1 })
      const { impl, instances } = fakeEventSourceImpl()
      connections.push(connectInvalidations(cache, { url: '/events', eventSourceImpl: impl }))
      instances[0]!.fail()
      vi.advanceTimersByTime(499)
      expect(instances).toHaveLength(1)
      vi.advanceTimersByTime(1)
      expect(instances).toHaveLength(2)
      random.mockReturnValue(0.5)
      instances[1]!.fail()
      vi.advanceTimersByTime(1_499)
      expect(instances).toHaveLength(2)
      vi.advanceTimersByTime(1)
      expect(instances).toHaveLength(3)
    } finally {
      random.mockRestore()
      vi.useRealTimers()
    }
  })

  it('invalidates the active entries when a replacement opens, even if the first source never opened', () => {
    vi.useFakeTimers()
    try {
      const cache = createCache({ staleTime: 60_000, now: () => 1 })
      cache.set(['recs'], 'loaded')
      const invalidate = vi.spyOn(cache, 'invalidate')
      const { impl, instances } = fakeEventSourceImpl()
      const connection = connectInvalidations(cache, { url: '/events', eventSourceImpl: impl })
      connections.push(connection)
      instances[0]!.fail()
      vi.advanceTimersByTime(1_000)
      instances[1]!.open()
      expect(invalidate).toHaveBeenCalledExactlyOnceWith({})
    } finally {
      vi.useRealTimers()
    }
  })

  it('reports a stream url that keeps failing (a typo, a 401) to onError once, naming it, when the replacement fails too; again only after it opened', () => {
    vi.useFakeTimers()
    try {
      const onError = vi.fn<(error: Error) => void>()
      const { impl, instances } = fakeEventSourceImpl()
      const connection = connectInvalidations(createCache({ onError }), { url: 'https://app.test/evnets', eventSourceImpl: impl })
      connections.push(connection)
      // One give-up may be a deploy's 503 that the next source gets past: not reported.
      instances[0]!.fail()
      expect(onError).not.toHaveBeenCalled()
      vi.advanceTimersByTime(1_000)
      instances[1]!.fail()
      expect(onError).toHaveBeenCalledOnce()
      // A browser's EventSource says nothing of why.
      expect(onError.mock.calls[0]![0].message).toBe('cachet: stream https://app.test/evnets failed twice; retrying')
      expect(connection.state).toBe('connecting')
      // Once per run of failures, not at every backoff step.
      for (let i = 2; i < 8; i++) {
        vi.advanceTimersByTime(30_000)
        instances[i]!.fail()
      }
      expect(onError).toHaveBeenCalledOnce()
      expect(connection.state).toBe('connecting')
      // The session was renewed: the stream opens, and a later run of failures is reported anew.
      vi.advanceTimersByTime(30_000)
      instances[8]!.open()
      instances[8]!.fail()
      vi.advanceTimersByTime(1_000)
      instances[9]!.fail('Non-200 status code (401)')
      expect(onError).toHaveBeenCalledTimes(2)
      expect(onError.mock.calls[1]![0].message).toBe('cachet: stream https://app.test/evnets failed twice (Non-200 status code (401)); retrying')
    } finally {
      vi.useRealTimers()
    }
  })

  it('close() while waiting to replace a source that gave up creates no new one', () => {
    vi.useFakeTimers()
    try {
      const { impl, instances } = fakeEventSourceImpl()
      const connection = connectInvalidations(createCache(), { url: '/events', eventSourceImpl: impl })
      instances[0]!.fail()
      connection.close()
      vi.advanceTimersByTime(60_000)
      expect(instances).toHaveLength(1)
      expect(connection.state).toBe('closed')
    } finally {
      vi.useRealTimers()
    }
  })

  it("tracks state: 'connecting' until open, back to 'connecting' while reconnecting, 'closed' when a source passed in gives up", () => {
    const { source, connection } = setup()
    expect(connection.state).toBe('connecting')
    source.open()
    expect(connection.state).toBe('open')
    source.drop()
    expect(connection.state).toBe('connecting')
    source.open()
    expect(connection.state).toBe('open')
    source.fail()
    expect(connection.state).toBe('closed')
  })

  it('close() closes an EventSource it created and stops applying events', () => {
    const cache = createCache({ staleTime: 60_000, now: () => 1 })
    cache.set(['a'], 1)
    const { impl, instances } = fakeEventSourceImpl()
    const connection = connectInvalidations(cache, { url: '/events', eventSourceImpl: impl })
    const source = instances[0]!
    source.open()
    connection.close()
    expect(connection.state).toBe('closed')
    expect(source.closeCalls).toBe(1)
    expect(source.listenerCount()).toBe(0)
    source.emit({ type: 'invalidate', all: true })
    expect(cache.get(['a'])?.isStale).toBe(false)
    connection.close()
    expect(source.closeCalls).toBe(1)
  })

  it('close() leaves a source passed in open for its owner, with no listener of ours left', () => {
    const { source, connection } = setup()
    source.open()
    expect(source.listenerCount()).toBe(3)
    connection.close()
    expect(connection.state).toBe('closed')
    expect(source.closeCalls).toBe(0)
    expect(source.readyState).toBe(1)
    expect(source.listenerCount()).toBe(0)
  })

  it('treats a source passed in already open as opened: its next open is a reconnect', () => {
    const cache = createCache()
    const invalidate = vi.spyOn(cache, 'invalidate')
    const source = new FakeEventSource()
    source.open()
    const connection = connectInvalidations(cache, { source })
    connections.push(connection)
    expect(connection.state).toBe('open')
    source.drop()
    source.open()
    expect(invalidate).toHaveBeenCalledExactlyOnceWith({})
  })

  it('throws a clear Error when there is no EventSource to use', () => {
    const cache = createCache()
    expect(globalThis.EventSource).toBeUndefined()
    expect(() => connectInvalidations(cache, { url: '/events' })).toThrow(/no EventSource.*eventSourceImpl/)
    expect(() => connectInvalidations(cache, {})).toThrow(/url/)
  })
})
