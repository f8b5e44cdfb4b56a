// @vitest-environment node
import { EventSource } from 'eventsource'
import { afterAll, describe, expect, it, vi } from 'vitest'
import { createInvalidationHub, memoryStore, type InvalidationHub } from '../../src/server'
import { connectInvalidations, type InvalidationConnection } from '../../src/stream/connect'
import { serveHub, type HubHttpServer } from './hub-server'
import { activeEntry } from './waker'

// The client against the real hub (cachet/server) over real HTTP: the hub's
// ids, replay and `sync` drive the reconnect rule. The hub's `retry:` makes
// the `eventsource` package wait 1–5 s before reconnecting; each wait is
// bounded well above that.
const BOUND_MS = 8_000

let hub: InvalidationHub | undefined
let http: HubHttpServer | undefined
let connection: InvalidationConnection | undefined
const stops: Array<() => void> = []

afterAll(async () => {
  connection?.close()
  for (const stop of stops) stop()
  await hub?.close()
  await http?.close()
})

describe('connectInvalidations against the invalidation hub', () => {
  it("applies the hub's events; after a drop, 'complete' replay refetches nothing and 'unavailable' refetches", async () => {
    hub = createInvalidationHub({ store: memoryStore({ retain: 2 }) })
    http = await serveHub(hub.handler)
    const { url, dropStreams } = http

    const { cache, onError, w, data, fetches } = await activeEntry(BOUND_MS, stops)
    const invalidate = vi.spyOn(cache, 'invalidate')

    connection = connectInvalidations(cache, { url, eventSourceImpl: EventSource })
    w.watch(connection)
    await w.until(() => connection!.state === 'open', 'the stream to open')

    // Live: a published invalidation refetches the active entry.
    await hub.publish({ type: 'invalidate', tags: ['product:42'] })
    await w.until(() => data() === 'answer 2', 'the refetch after a published invalidation')
    expect(invalidate).toHaveBeenCalledExactlyOnceWith({ tags: ['product:42'] }, undefined)
    invalidate.mockClear()

    // Drop; what is published meanwhile is replayed on reconnect, then `sync: complete`.
    dropStreams()
    await w.until(() => connection!.state === 'connecting', 'the client to notice the drop')
    await hub.publish({ type: 'set', key: ['missed'], data: 'replayed' })
    await w.until(() => cache.get(['missed']) !== undefined, 'the replayed event')
    // Live events follow the sync: once this one lands, the sync was handled.
    await hub.publish({ type: 'set', key: ['marker'], data: 1 })
    await w.until(() => cache.get(['marker']) !== undefined, 'a live event after the sync')
    expect(connection.state).toBe('open')
    expect(invalidate).not.toHaveBeenCalled()
    expect(fetches()).toBe(2)

    // Drop again and publish past the store's retention: the hub cannot replay.
    dropStreams()
    await w.until(() => connection!.state === 'connecting', 'the client to notice the second drop')
    for (const n of [1, 2, 3]) await hub.publish({ type: 'set', key: ['filler', n], data: n })
    await w.until(() => data() === 'answer 3', "the refetch after 'unavailable'")
    expect(invalidate).toHaveBeenCalledExactlyOnceWith({})
    expect(onError).not.toHaveBeenCalled()
  }, 30_000)
})
