// @vitest-environment node
import { describe, expect, it, vi } from 'vitest'
import { createCache } from '../../src/core/cache'
import type { CacheEvent } from '../../src/core/types'
import { applyingEvent, wasApplied } from '../../src/stream/applied-events'
import { broadcastInvalidations } from '../../src/stream/broadcast'
import { connectInvalidations } from '../../src/stream/connect'
import { FakeEventSource } from '../helpers/fake-event-source'
import { recordingCache } from './recording-cache'
import { BOUND_MS, cleanups, freshChannelName } from './two-tabs'

// BroadcastChannel delivers asynchronously; every wait here is event-driven
// and bounded (see ./two-tabs). Messages from one sender arrive in order,
// which is what lets a later message prove an earlier one was never sent.

/** A plain BroadcastChannel standing in for another tab: records what it receives. */
function otherTab(name: string) {
  const channel = new BroadcastChannel(name)
  const received: unknown[] = []
  const waiting = new Set<() => void>()
  channel.onmessage = (event: MessageEvent) => {
    received.push(event.data)
    for (const wake of [...waiting]) wake()
  }
  cleanups.push(() => channel.close())
  return {
    received,
    post: (message: unknown) => channel.postMessage(message),
    /** Resolves once `count` messages arrived in total. */
    receive(count: number): Promise<unknown[]> {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (received.length < count) return
          clearTimeout(timer)
          waiting.delete(check)
          resolve(received)
        }
        const timer = setTimeout(() => {
          waiting.delete(check)
          reject(new Error(`received ${received.length} of ${count} messages in ${BOUND_MS} ms`))
        }, BOUND_MS)
        waiting.add(check)
        check()
      })
    },
  }
}

/** Resolves when `mock` has been called `count` times; rejects after the bound. */
function calls(mock: { mock: { calls: unknown[][] } }, count: number): Promise<void> {
  return vi.waitFor(
    () => {
      if (mock.mock.calls.length < count) throw new Error(`${mock.mock.calls.length} of ${count} calls`)
    },
    { timeout: BOUND_MS, interval: 5 },
  )
}

function relay(cache: Parameters<typeof broadcastInvalidations>[0], name: string) {
  const stop = broadcastInvalidations(cache, { channel: name })
  cleanups.push(stop)
  return stop
}

const invalidated = (target: object, mode: 'stale' | 'remove' = 'stale'): CacheEvent => ({
  type: 'invalidated',
  target,
  mode,
  count: 3,
})

describe('broadcastInvalidations: sending', () => {
  it("posts this tab's invalidations and model-version changes, without the count", async () => {
    const name = freshChannelName('cachet-test')
    const { cache, emit } = recordingCache()
    const tab = otherTab(name)
    relay(cache, name)
    emit(invalidated({ key: ['recs'], exact: true, tags: ['product:42'], segment: 'exp-42:b' }, 'remove'))
    emit(invalidated({ model: 'recommender', modelVersion: 'r2' }))
    emit({ type: 'model-version', model: 'recommender', version: 'r3', policy: 'immediate' })
    expect(await tab.receive(3)).toEqual([
      { type: 'invalidate', mode: 'remove', key: ['recs'], exact: true, tags: ['product:42'], segment: 'exp-42:b' },
      { type: 'invalidate', mode: 'stale', model: 'recommender', modelVersion: 'r2' },
      { type: 'model-version', model: 'recommender', version: 'r3', policy: 'immediate' },
    ])
  })

  it('says all: true for an invalidation of everything', async () => {
    const name = freshChannelName('cachet-test')
    const { cache, emit } = recordingCache()
    const tab = otherTab(name)
    relay(cache, name)
    emit(invalidated({}))
    emit(invalidated({ exact: true }))
    expect(await tab.receive(2)).toEqual([
      { type: 'invalidate', mode: 'stale', all: true },
      { type: 'invalidate', mode: 'stale', exact: true, all: true },
    ])
  })

  it('sends a key and tags held in a Proxy (an observable store) as plain arrays, which postMessage can clone', async () => {
    const name = freshChannelName('cachet-test')
    const { cache, emit } = recordingCache()
    const consoleError = vi.spyOn(console, 'error').mockImplementation(() => {})
    cleanups.push(() => consoleError.mockRestore())
    const tab = otherTab(name)
    relay(cache, name)
    emit(invalidated({ key: new Proxy(['recs'], {}), tags: new Proxy(['product:42'], {}) }))
    expect(await tab.receive(1)).toEqual([{ type: 'invalidate', mode: 'stale', key: ['recs'], tags: ['product:42'] }])
    expect(consoleError).not.toHaveBeenCalled()
  })

  it('does not send an invalidation with a predicate (dropping it would widen the invalidation)', async () => {
    const name = freshChannelName('cachet-test')
    const { cache, emit } = recordingCache()
    const tab = otherTab(name)
    relay(cache, name)
    emit(invalidated({ tags: ['a'], predicate: () => true }))
    emit(invalidated({ tags: ['sentinel'] }))
    // In sender order: had the first been sent, it would arrive first.
    expect(await tab.receive(1)).toEqual([{ type: 'invalidate', mode: 'stale', tags: ['sentinel'] }])
  })

  it('ignores entry events', async () => {
    const name = freshChannelName('cachet-test')
    const { cache, emit } = recordingCache()
    const tab = otherTab(name)
    relay(cache, name)
    const entry = { key: ['a'] } as unknown as Extract<CacheEvent, { type: 'added' }>['entry']
    emit({ type: 'added', entry })
    emit({ type: 'updated', entry })
    emit({ type: 'removed', entry })
    emit(invalidated({ tags: ['sentinel'] }))
    expect(await tab.receive(1)).toEqual([{ type: 'invalidate', mode: 'stale', tags: ['sentinel'] }])
  })

  it('stops relaying once stopped', () => {
    const name = freshChannelName('cachet-test')
    const { cache, listenerCount } = recordingCache()
    const stop = relay(cache, name)
    expect(listenerCount()).toBe(1)
    stop()
    stop()
    expect(listenerCount()).toBe(0)
  })
})

describe('broadcastInvalidations: receiving', () => {
  it("applies another tab's invalidation and model-version change", async () => {
    const name = freshChannelName('cachet-test')
    const { cache } = recordingCache()
    const tab = otherTab(name)
    relay(cache, name)
    tab.post({ type: 'invalidate', tags: ['product:42'], mode: 'remove' })
    tab.post({ type: 'invalidate', all: true })
    tab.post({ type: 'model-version', model: 'recommender', version: 'r3', policy: 'lazy' })
    await calls(cache.setModelVersion, 1)
    expect(cache.invalidate.mock.calls).toEqual([
      [{ tags: ['product:42'] }, { mode: 'remove' }],
      [{}, undefined],
    ])
    expect(cache.setModelVersion).toHaveBeenCalledExactlyOnceWith('recommender', 'r3', { policy: 'lazy' })
  })

  it('does not post back what it applies (no echo)', async () => {
    const name = freshChannelName('cachet-test')
    const { cache, emit } = recordingCache()
    // Like the real cache: invalidate() emits its event synchronously.
    cache.invalidate.mockImplementation(async (target = {}, options) => {
      emit(invalidated(target, options?.mode))
      return 0
    })
    cache.setModelVersion.mockImplementation((model: string, version: string) => {
      emit({ type: 'model-version', model, version, policy: 'lazy' })
    })
    const tab = otherTab(name)
    relay(cache, name)
    tab.post({ type: 'invalidate', tags: ['from-other-tab'] })
    tab.post({ type: 'model-version', model: 'm', version: 'v2' })
    await calls(cache.setModelVersion, 1)
    // A local invalidation after them: the first thing the other tab hears must be this one.
    emit(invalidated({ tags: ['local'] }))
    expect(await tab.receive(1)).toEqual([{ type: 'invalidate', mode: 'stale', tags: ['local'] }])
  })
})

describe('broadcastInvalidations: server event ids', () => {
  const stream = 'https://app.test/events'

  it("relays a stream event's change with its id and stream; a local change goes without", async () => {
    const name = freshChannelName('cachet-test')
    const cache = createCache()
    const source = new FakeEventSource(stream)
    const connection = connectInvalidations(cache, { source })
    cleanups.push(() => connection.close())
    const tab = otherTab(name)
    relay(cache, name)
    source.open()
    source.emit({ type: 'invalidate', tags: ['product:42'] }, { id: '5-0' })
    source.emit({ type: 'model-version', model: 'recommender', version: 'r3' }, { id: '6-0' })
    void cache.invalidate({ tags: ['local'] })
    expect(await tab.receive(3)).toEqual([
      { type: 'invalidate', mode: 'stale', tags: ['product:42'], eventId: '5-0', stream },
      { type: 'model-version', model: 'recommender', version: 'r3', policy: 'lazy', eventId: '6-0', stream },
      { type: 'invalidate', mode: 'stale', tags: ['local'] },
    ])
  })

  it('skips a relayed event this tab has applied, and records the ones it applies', async () => {
    const name = freshChannelName('cachet-test')
    const { cache } = recordingCache()
    applyingEvent(cache, { id: '5-0', stream }, () => {})
    const tab = otherTab(name)
    relay(cache, name)
    tab.post({ type: 'invalidate', tags: ['already'], eventId: '5-0', stream })
    tab.post({ type: 'invalidate', tags: ['other-stream'], eventId: '5-0', stream: 'https://other.test/events' })
    tab.post({ type: 'model-version', model: 'm', version: 'v2', eventId: '6-0', stream })
    await calls(cache.setModelVersion, 1)
    expect(cache.invalidate.mock.calls).toEqual([[{ tags: ['other-stream'] }, undefined]])
    expect(wasApplied(cache, { id: '6-0', stream })).toBe(true)
  })

  it('rejects a malformed eventId or a stream without eventId, and applies nothing', async () => {
    const name = freshChannelName('cachet-test')
    const onError = vi.fn<(error: Error) => void>()
    const cache = createCache({ onError })
    const invalidate = vi.spyOn(cache, 'invalidate')
    const tab = otherTab(name)
    relay(cache, name)
    tab.post({ type: 'invalidate', tags: ['a'], eventId: 5 })
    tab.post({ type: 'invalidate', tags: ['b'], eventId: '' })
    tab.post({ type: 'invalidate', tags: ['c'], stream })
    await calls(onError, 3)
    expect(onError.mock.calls.map(([error]) => error.message.replace(/^.*: (\w+: )/, '$1'))).toEqual([
      'eventId: expected string',
      'eventId: must not be empty',
      'stream: given without eventId',
    ])
    expect(invalidate).not.toHaveBeenCalled()
  })
})
