// @vitest-environment node
import { afterEach, describe, expect, it, vi } from 'vitest'
import { memoryStore, type EventStore } from '../../src/server'
import type { InvalidationMessage } from '../../src/stream/schema'
import { startHub, type HubServer } from './hub-setup'

const tag = (name: string): InvalidationMessage => ({ type: 'invalidate', tags: [name] })
const syncOf = (replay: string) => ({ type: 'sync', replay })

let running: HubServer | undefined
async function hubWith(...args: Parameters<typeof startHub>): Promise<HubServer> {
  running = await startHub(...args)
  return running
}
afterEach(async () => {
  vi.useRealTimers()
  await running?.stop()
  running = undefined
})

describe('invalidation hub: the SSE handler', () => {
  it('answers with event-stream headers that forbid caching and buffering, flushed before any event', async () => {
    const { connect } = await hubWith()
    const stream = await connect()
    expect(stream.status).toBe(200)
    expect(stream.headers['content-type']).toBe('text/event-stream')
    expect(stream.headers['cache-control']).toBe('no-cache, no-transform')
    expect(stream.headers['connection']).toBe('keep-alive')
    expect(stream.headers['x-accel-buffering']).toBe('no')
  })

  it("opens a connection without Last-Event-ID with sync 'none', then streams published events as id:/data: frames", async () => {
    const { connect, hub } = await hubWith()
    const stream = await connect()
    await stream.waitFor((s) => s.messages().length === 1, 'the sync message')
    // First a reconnection time (see the next test), then the sync. Nothing stored
    // yet: the sync carries the store's birth id, which a reconnect replays from.
    expect(stream.raw).toMatch(/^retry: \d+\n\nid: \d+-\d+\ndata: \{"type":"sync","replay":"none"\}\n\n$/)

    const id = await hub.publish(tag('product:42'))
    await stream.waitFor((s) => s.messages().length === 2, 'the published event')
    expect(stream.raw.endsWith(`id: ${id}\ndata: {"type":"invalidate","tags":["product:42"]}\n\n`)).toBe(true)
  })

  it('asks each browser to reconnect after its own delay between 1 and 5 s, so streams the hub ends together do not come back together', async () => {
    const { connect } = await hubWith()
    const draws = [0, 0.5, 0.99999]
    const random = vi.spyOn(Math, 'random')
    const retries: (number | undefined)[] = []
    try {
      for (const draw of draws) {
        random.mockReturnValue(draw)
        const stream = await connect()
        await stream.waitFor((s) => s.messages().length === 1, 'the sync message')
        // Its own frame, before anything else: it holds even if the stream ends before its sync.
        expect(stream.frames()[0]).toEqual({ id: undefined, data: undefined, retry: expect.any(Number), comments: [] })
        retries.push(stream.frames()[0]!.retry)
      }
    } finally {
      random.mockRestore()
    }
    expect(retries).toEqual([1000, 3000, 4999])
  })

  it("gives the sync the id of the newest stored event, so a later reconnect replays exactly", async () => {
    const { connect, hub } = await hubWith()
    await hub.publish(tag('a'))
    const head = await hub.publish(tag('b'))
    const stream = await connect()
    await stream.waitFor((s) => s.messages().length === 1, 'the sync message')
    expect(stream.messages()).toEqual([{ id: head, message: syncOf('none') }])

    const missed = await hub.publish(tag('c'))
    const again = await connect({ 'Last-Event-ID': head })
    await again.waitFor((s) => s.messages().length === 2, 'the replay and sync')
    expect(again.messages()).toEqual([
      { id: missed, message: tag('c') },
      { id: missed, message: syncOf('complete') },
    ])
  })

  it("replays the retained events after Last-Event-ID in order, then sync 'complete', then live events", async () => {
    const { connect, hub } = await hubWith()
    const ids: string[] = []
    for (const name of ['a', 'b', 'c', 'd']) ids.push(await hub.publish(tag(name)))
    const stream = await connect({ 'Last-Event-ID': ids[1]! })
    await stream.waitFor((s) => s.messages().length === 3, 'replay and sync')
    const live = await hub.publish(tag('e'))
    await stream.waitFor((s) => s.messages().length === 4, 'the live event')
    expect(stream.messages()).toEqual([
      { id: ids[2], message: tag('c') },
      { id: ids[3], message: tag('d') },
      { id: ids[3], message: syncOf('complete') },
      { id: live, message: tag('e') },
    ])
  })

  it("replays nothing and sends 'unavailable' when Last-Event-ID has aged out of the retention", async () => {
    const { connect, hub } = await hubWith({ store: memoryStore({ retain: 2 }) })
    const ids: string[] = []
    for (const name of ['a', 'b', 'c', 'd']) ids.push(await hub.publish(tag(name)))
    const stream = await connect({ 'Last-Event-ID': ids[0]! })
    await stream.waitFor((s) => s.messages().length === 1, 'the sync message')
    expect(stream.messages()).toEqual([{ id: ids[3], message: syncOf('unavailable') }])
    const live = await hub.publish(tag('e'))
    await stream.waitFor((s) => s.messages().length === 2, 'the live event')
    expect(stream.messages()[1]).toEqual({ id: live, message: tag('e') })
  })

  it("sends 'unavailable' for a Last-Event-ID this store never issued (a hub restart, or garbage)", async () => {
    const { connect, hub } = await hubWith()
    await hub.publish(tag('a'))
    for (const id of ['1-0', 'not-an-id']) {
      const stream = await connect({ 'Last-Event-ID': id })
      await stream.waitFor((s) => s.messages().length === 1, 'the sync message')
      expect(stream.messages()[0]!.message).toEqual(syncOf('unavailable'))
    }
  })

  it('answers 401 when authorize returns null, and 500 when it throws, without opening a stream', async () => {
    const { url } = await hubWith({
      authorize: async (req) => {
        if (req.headers.authorization === 'boom') throw new Error('auth backend down')
        return null
      },
    })
    const { openStream } = await import('./sse-client')
    const denied = await openStream(url)
    expect(denied.status).toBe(401)
    await denied.ended
    expect(denied.raw).toBe('')
    const broken = await openStream(url, { authorization: 'boom' })
    expect(broken.status).toBe(500)
    await broken.ended
  })

  it('answers 405 to anything but GET', async () => {
    const { url } = await hubWith()
    const response = await fetch(url, { method: 'POST' })
    expect(response.status).toBe(405)
    expect(response.headers.get('allow')).toBe('GET')
  })

  it('writes a heartbeat comment every heartbeatMs, and stops its timer once the last client has gone', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] })
    const { connect, hub } = await hubWith({ heartbeatMs: 1_000 })
    expect(vi.getTimerCount()).toBe(0)
    const stream = await connect()
    await stream.waitFor((s) => s.messages().length === 1, 'the sync message')
    expect(vi.getTimerCount()).toBe(1)
    vi.advanceTimersByTime(999)
    vi.advanceTimersByTime(1)
    await stream.waitFor((s) => s.raw.endsWith(': ping\n\n'), 'a heartbeat')
    vi.advanceTimersByTime(1_000)
    await stream.waitFor((s) => s.raw.split(': ping').length === 3, 'a second heartbeat')

    stream.close()
    // Bounded wait for the server side to see the disconnect: the heartbeat timer goes with the last client.
    await vi.waitUntil(() => vi.getTimerCount() === 0, { timeout: 2_000, interval: 5 })
    // Publishing afterwards writes to nobody and still works.
    await expect(hub.publish(tag('after'))).resolves.toMatch(/^\d+-\d+$/)
  })

  it('close() ends every open stream, answers later requests with 503, and rejects later publishes', async () => {
    const { connect, hub, url } = await hubWith()
    const first = await connect()
    const second = await connect({ 'Last-Event-ID': '1-0' })
    await first.waitFor((s) => s.messages().length === 1, 'sync on the first stream')
    await second.waitFor((s) => s.messages().length === 1, 'sync on the second stream')
    await hub.close()
    await first.waitFor((s) => s.isEnded, 'the first stream to end')
    await second.waitFor((s) => s.isEnded, 'the second stream to end')
    expect((await fetch(url)).status).toBe(503)
    await expect(hub.publish(tag('late'))).rejects.toThrow('cachet/server: cannot publish, the hub is closed')
  })
})

describe('invalidation hub: publish', () => {
  it('validates with the shared schema and rejects a bad message with an Error naming the path', async () => {
    const { hub } = await hubWith()
    const bad = { type: 'invalidate', tags: ['ok', 7] } as unknown as InvalidationMessage
    await expect(hub.publish(bad)).rejects.toThrow('cannot publish an invalid message: tags[1]: expected string')
    await expect(hub.publish({ type: 'nope' } as unknown as InvalidationMessage)).rejects.toThrow(/unknown type "nope"/)
    await expect(hub.publish({ type: 'invalidate' })).rejects.toThrow(/names at least one of key, tags/)
  })

  it("refuses to publish a 'sync' message: only the hub sends those", async () => {
    const { hub } = await hubWith()
    await expect(hub.publish({ type: 'sync', replay: 'complete' })).rejects.toThrow(/cannot publish a 'sync' message/)
  })

  it('rejects with a clear Error, carrying the cause, when the store fails', async () => {
    const cause = new Error('disk on fire')
    const failing: EventStore = { ...memoryStore(), append: () => Promise.reject(cause) }
    const { hub } = await hubWith({ store: failing })
    const error = await hub.publish(tag('x')).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(Error)
    expect((error as Error).message).toBe('cachet/server: the message was not stored, the event store failed: disk on fire')
    expect((error as Error).cause).toBe(cause)
  })

  // Was "stores the message as validated: unknown fields are not streamed": the
  // field was dropped and the rest sent. Dropping a misspelt `segment` sends the
  // message to every segment, so an unknown field is now refused (see below).
  it('refuses a message with an unknown field, and streams nothing of it', async () => {
    const { hub, connect } = await hubWith()
    const stream = await connect()
    await stream.waitFor((s) => s.messages().length === 1, 'sync')
    await expect(hub.publish({ type: 'invalidate', tags: ['a'], secret: 'internal' } as unknown as InvalidationMessage)).rejects.toThrow(
      `cachet/server: cannot publish an invalid message: unknown field "secret" in an 'invalidate' message`,
    )
    await hub.publish({ type: 'invalidate', tags: ['b'] })
    await stream.waitFor((s) => s.messages().length === 2, 'the next event')
    expect(stream.messages()[1]).toMatchObject({ message: { type: 'invalidate', tags: ['b'] } })
    expect(stream.raw).not.toContain('secret')
  })

  it("refuses a set whose segment is misspelt: its data would reach every segment's browsers", async () => {
    const { hub, connect } = await hubWith({ authorize: async () => ({ segments: ['arm-a'] }) })
    const other = await connect()
    await other.waitFor((s) => s.messages().length === 1, 'sync')
    const typo = { type: 'set', key: ['profile'], segmnet: 'arm-b', data: { email: 'b@example.com' } } as unknown as InvalidationMessage
    await expect(hub.publish(typo)).rejects.toThrow(`unknown field "segmnet" in a 'set' message (it would be sent without it)`)
    // A model-version change names no segment: one given is refused, not dropped.
    const scoped = { type: 'model-version', model: 'recommender', version: 'r4', segment: 'arm-b' } as unknown as InvalidationMessage
    await expect(hub.publish(scoped)).rejects.toThrow(`unknown field "segment" in a 'model-version' message`)
    await hub.publish({ type: 'invalidate', tags: ['after'] })
    await other.waitFor((s) => s.messages().length === 2, 'the next event')
    expect(other.raw).not.toContain('example.com')
  })
})

describe('invalidation hub: replay and live events never overlap or leave a gap', () => {
  // A store whose reads wait for the test's go-ahead, so that events can be
  // published while a connection is in the middle of its replay.
  function gatedStore(): { store: EventStore; release: () => void; reading: Promise<void> } {
    const inner = memoryStore()
    let release!: () => void
    const gate = new Promise<void>((resolve) => (release = resolve))
    let started!: () => void
    const reading = new Promise<void>((resolve) => (started = resolve))
    const store: EventStore = {
      ...inner,
      readAfter: async (id) => {
        started()
        await gate
        return inner.readAfter(id)
      },
      lastId: async () => {
        started()
        await gate
        return inner.lastId()
      },
    }
    return { store, release, reading }
  }

  it('an event stored during the replay read, and so in the replay too, is sent once, before the sync', async () => {
    const { store, release, reading } = gatedStore()
    const { hub, connect } = await hubWith({ store })
    const before = await hub.publish(tag('before'))
    const streamPromise = connect({ 'Last-Event-ID': before })
    await reading
    // Stored while the hub waits for the store: it reaches the connection as a
    // live event, and the replay read (which runs after the gate) holds it too.
    const during = await hub.publish(tag('during'))
    release()
    const stream = await streamPromise
    await stream.waitFor((s) => s.messages().some((m) => m.message.type === 'sync'), 'the sync')
    const after = await hub.publish(tag('after'))
    await stream.waitFor((s) => s.messages().length === 3, 'the live event')
    expect(stream.messages()).toEqual([
      { id: during, message: tag('during') },
      { id: during, message: syncOf('complete') },
      { id: after, message: tag('after') },
    ])
  })

  it('an event stored after the head was read is sent once, after the sync', async () => {
    const inner = memoryStore()
    let release!: () => void
    const gate = new Promise<void>((resolve) => (release = resolve))
    let headRead!: () => void
    const headWasRead = new Promise<void>((resolve) => (headRead = resolve))
    const store: EventStore = {
      ...inner,
      lastId: async () => {
        const head = await inner.lastId()
        headRead()
        await gate
        return head
      },
    }
    const { hub, connect } = await hubWith({ store })
    const first = await hub.publish(tag('first'))
    const streamPromise = connect()
    await headWasRead
    const during = await hub.publish(tag('during'))
    release()
    const stream = await streamPromise
    await stream.waitFor((s) => s.messages().length === 2, 'sync and the parked event')
    expect(stream.messages()).toEqual([
      { id: first, message: syncOf('none') },
      { id: during, message: tag('during') },
    ])
  })
})

describe('invalidation hub: clients that leave early leave nothing behind', () => {
  // A deferred promise, resolved by the test.
  function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
    let resolve!: (value: T) => void
    const promise = new Promise<T>((r) => (resolve = r))
    return { promise, resolve }
  }

  // Starts a hub whose authorize and store head read wait for the test, and
  // reports when the server sees the client's response close.
  async function gatedHub(gate: 'authorize' | 'store') {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] })
    const granted = deferred<{ segments: string[] }>()
    const head = deferred<string | undefined>()
    const entered = deferred<void>()
    const inner = memoryStore()
    const store: EventStore = {
      ...inner,
      lastId: async () => {
        entered.resolve()
        return gate === 'store' ? head.promise : inner.lastId()
      },
    }
    const running = await hubWith({
      store,
      heartbeatMs: 1_000,
      authorize: async () => {
        if (gate === 'authorize') {
          entered.resolve()
          return granted.promise
        }
        return { segments: [] }
      },
    })
    const closedOnServer = deferred<void>()
    running.server.prependListener('request', (_req, res) => res.once('close', () => closedOnServer.resolve()))
    return { ...running, granted, head, entered: entered.promise, closedOnServer: closedOnServer.promise }
  }

  it('a client that disconnects while authorize runs gets no stream and starts no timer', async () => {
    const { url, granted, entered, closedOnServer } = await gatedHub('authorize')
    const { get } = await import('node:http')
    const request = get(url)
    request.on('error', () => {})
    await entered
    request.destroy()
    await closedOnServer
    granted.resolve({ segments: [] })
    await Promise.resolve()
    await new Promise((resolve) => setImmediate(resolve))
    expect(vi.getTimerCount()).toBe(0)
  })

  it('a client that disconnects during its replay is forgotten, and the replay does not resume', async () => {
    const { url, head, entered, closedOnServer, hub } = await gatedHub('store')
    const { get } = await import('node:http')
    const request = get(url)
    request.on('error', () => {})
    await entered
    expect(vi.getTimerCount()).toBe(1) // the connection holds the heartbeat
    request.destroy()
    await closedOnServer
    expect(vi.getTimerCount()).toBe(0)
    head.resolve(undefined)
    await expect(hub.publish(tag('after'))).resolves.toMatch(/^\d+-\d+$/)
    expect(vi.getTimerCount()).toBe(0)
  })
})

describe('invalidation hub: slow clients', () => {
  it('drops a client that stops reading once over 1 MiB is buffered for it; clients that read get every event', async () => {
    const { hub, server, url, connect } = await hubWith()
    const closedOnServer: Promise<void>[] = []
    server.prependListener('request', (_req, res) => closedOnServer.push(new Promise((resolve) => res.once('close', () => resolve()))))

    const { connect: connectSocket } = await import('node:net')
    const { port } = new URL(url)
    const stalled = connectSocket(Number(port), '127.0.0.1')
    stalled.on('error', () => {})
    let head = ''
    await new Promise<void>((resolve) => {
      stalled.on('data', (chunk) => {
        head += chunk.toString()
        if (head.includes('"type":"sync"')) {
          stalled.pause() // reads nothing more: the kernel buffers fill, then the hub's
          resolve()
        }
      })
      stalled.write('GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n')
    })
    const reader = await connect()
    await reader.waitFor((s) => s.messages().length === 1, 'the sync')

    const big = 'x'.repeat(512 * 1024)
    const count = 48 // 24 MiB: more than loopback socket buffers hold
    for (let n = 0; n < count; n++) {
      await hub.publish({ type: 'set', key: ['big', n], data: big })
      // Let sockets drain between publishes, as real traffic would: a client that
      // reads keeps up, the stalled one does not.
      await new Promise((resolve) => setImmediate(resolve))
    }

    // The stalled client's response, closed by the hub (bounded, so a regression fails clearly).
    let stalledClosed = false
    void closedOnServer[0]!.then(() => (stalledClosed = true))
    await vi.waitUntil(() => stalledClosed, { timeout: 5_000, interval: 10 })
    // Checked on the tail only: parsing megabytes on every chunk would be quadratic.
    const last = `"key":["big",${count - 1}]`
    await reader.waitFor((s) => s.raw.slice(-big.length - 200).includes(last), 'the last event on the reading client', 10_000)
    expect(reader.messages()).toHaveLength(1 + count)
    expect(reader.isEnded).toBe(false)
    stalled.destroy()
  })
})
