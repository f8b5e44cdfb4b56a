// @vitest-environment node
import { EventSource } from 'eventsource'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createInvalidationHub, memoryStore, type InvalidationHub } from '../../src/server'
import { connectInvalidations, type InvalidationConnection } from '../../src/stream/connect'
import { serveHub, type HubHttpServer } from './hub-server'
import { activeEntry, type Waker } from './waker'

// A memory hub that has stored nothing yet (just started, or just restarted)
// sent its `sync` without an id. A browser's EventSource then had no id to
// send back: every reconnect (proxies and platforms cut long requests every
// few minutes) was header-less, got `sync 'none'`, and refetched every active
// query; and after a restart a browser kept its old id, got 'unavailable' at
// every reconnect until the first publish, and refetched every time. A real
// gap costs one refetch; cuts with nothing missed cost none.
const BOUND_MS = 8_000

let hub: InvalidationHub | undefined
let http: HubHttpServer | undefined
let connection: InvalidationConnection | undefined
const stops: Array<() => void> = []
const lastEventIds: (string | undefined)[] = []

afterEach(async () => {
  connection?.close()
  connection = undefined
  for (const stop of stops.splice(0)) stop()
  await hub?.close()
  hub = undefined
  await http?.close()
  http = undefined
  lastEventIds.length = 0
  vi.restoreAllMocks()
  vi.useRealTimers()
})

/** A server whose handler is whichever hub is current: replacing it is a hub restart on the same address. */
async function listen(): Promise<HubHttpServer> {
  http = await serveHub((req, res) => {
    lastEventIds.push(req.headers['last-event-id'] as string | undefined)
    hub!.handler(req, res)
  })
  return http
}

/**
 * The client under test, and the `sync` messages its EventSource received
 * (counted after the client has handled each one).
 */
async function connectClient(url: string) {
  // The hub asks for a reconnection time drawn between 1 and 5 s: the lowest
  // here, to keep the test short. Each draw stays distinct, as the client's
  // own uses of Math.random expect.
  let draws = 0
  vi.spyOn(Math, 'random').mockImplementation(() => ++draws / 1e9)
  const entry = await activeEntry(BOUND_MS, stops)
  const invalidate = vi.spyOn(entry.cache, 'invalidate')
  const syncs: string[] = []
  class Recorded extends EventSource {
    constructor(...args: ConstructorParameters<typeof EventSource>) {
      super(...args)
      // Registered after connectInvalidations' own listener (it listens once
      // the constructor returns): it runs once the client has handled the event.
      queueMicrotask(() =>
        this.addEventListener('message', (event) => {
          const message = JSON.parse(event.data as string) as { type: string; replay?: string }
          if (message.type === 'sync') syncs.push(message.replay!)
          entry.w.wake()
        }),
      )
    }
  }
  connection = connectInvalidations(entry.cache, { url, eventSourceImpl: Recorded as typeof EventSource })
  entry.w.watch(connection)
  await waitForSync(entry.w, syncs, 1)
  return { ...entry, invalidate, syncs, resets: () => invalidate.mock.calls.filter(([target]) => JSON.stringify(target) === '{}').length }
}

function waitForSync(w: Waker, syncs: string[], count: number): Promise<void> {
  return w.until(() => syncs.length >= count, `sync #${count}`)
}

describe('a memory hub with nothing stored yet', () => {
  it('refetches nothing when a fresh hub cuts its stream, cut after cut; events published between cuts are replayed', async () => {
    hub = createInvalidationHub({ store: memoryStore() })
    const { url, dropStreams } = await listen()
    const { w, syncs, resets, fetches, cache } = await connectClient(url)
    expect(syncs).toEqual(['none'])

    for (const cut of [2, 3, 4]) {
      dropStreams()
      await waitForSync(w, syncs, cut)
    }
    expect(resets()).toBe(0)
    expect(fetches()).toBe(1)
    // Each reconnect sent the id the first sync gave it, and was told nothing was missed.
    expect(syncs).toEqual(['none', 'complete', 'complete', 'complete'])
    expect(lastEventIds[1]).toMatch(/^\d+-\d+$/)
    expect(lastEventIds.slice(1)).toEqual([lastEventIds[1], lastEventIds[1], lastEventIds[1]])

    // What is published while the stream is cut is replayed on reconnect.
    dropStreams()
    await w.until(() => connection!.state === 'connecting', 'the client to notice the cut')
    await hub.publish({ type: 'set', key: ['missed'], data: 'replayed' })
    await waitForSync(w, syncs, 5)
    expect(cache.get(['missed'])?.data).toBe('replayed')
    expect(syncs[4]).toBe('complete')
    expect(resets()).toBe(0)
  }, 30_000)

  it('refetches once after a hub restart, not at every later cut', async () => {
    // Ids come from the wall clock: the restart below happens a minute later,
    // as a real one does not happen within the millisecond of the last event.
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() })
    hub = createInvalidationHub({ store: memoryStore() })
    const { url, dropStreams } = await listen()
    const { w, syncs, resets, fetches, data } = await connectClient(url)
    await hub.publish({ type: 'invalidate', tags: ['other'] })

    // The process restarts: a new hub with an empty store takes the address.
    const old = hub
    vi.setSystemTime(Date.now() + 60_000)
    hub = createInvalidationHub({ store: memoryStore() })
    await old.close()
    await waitForSync(w, syncs, 2)
    expect(syncs[1]).toBe('unavailable')
    await w.until(() => data() === 'answer 2', "the refetch after 'unavailable'")
    expect(resets()).toBe(1)

    for (const cut of [3, 4, 5]) {
      dropStreams()
      await waitForSync(w, syncs, cut)
    }
    expect(resets()).toBe(1)
    expect(fetches()).toBe(2)
    expect(syncs).toEqual(['none', 'unavailable', 'complete', 'complete', 'complete'])
  }, 30_000)

  it("still answers 'unavailable' once an event after the id the client holds has been trimmed", async () => {
    hub = createInvalidationHub({ store: memoryStore({ retain: 1 }) })
    const { url, dropStreams } = await listen()
    const { w, syncs, resets, data } = await connectClient(url)

    dropStreams()
    await w.until(() => connection!.state === 'connecting', 'the client to notice the cut')
    await hub.publish({ type: 'set', key: ['trimmed'], data: 1 })
    await hub.publish({ type: 'set', key: ['kept'], data: 2 })
    await waitForSync(w, syncs, 2)
    expect(syncs).toEqual(['none', 'unavailable'])
    await w.until(() => data() === 'answer 2', "the refetch after 'unavailable'")
    expect(resets()).toBe(1)
  }, 30_000)
})
