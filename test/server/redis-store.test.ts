// @vitest-environment node
import type { Redis } from 'ioredis'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { redisStore, type InvalidationHubOptions } from '../../src/server'
import type { InvalidationMessage } from '../../src/stream/schema'
import { adminClient, eventually, startTestRedis, type TestRedis } from '../helpers/redis'
import { startHub, type HubServer } from './hub-setup'
import { checkSegmentIsolation } from './segment-isolation'

// Against a real redis-server (started here on 127.0.0.1 and a free port).
// A missing redis-server fails beforeAll with a message saying so: never a skip.

const tag = (name: string): InvalidationMessage => ({ type: 'invalidate', tags: [name] })
const syncOf = (replay: string) => ({ type: 'sync', replay })

let redis: TestRedis
let admin: Redis
let streamCount = 0
const hubs: HubServer[] = []

beforeAll(async () => {
  redis = await startTestRedis()
  admin = await adminClient(redis.url)
})
afterEach(async () => {
  await Promise.all(hubs.splice(0).map((h) => h.stop()))
})
afterAll(async () => {
  admin?.disconnect()
  await redis?.stop()
})

// Every test gets its own stream key, so tests never see each other's events.
function freshStream(): string {
  return `cachet:test:${process.pid}:${++streamCount}`
}

async function hubOn(stream: string, options: Omit<InvalidationHubOptions, 'store'> & { retain?: number } = {}): Promise<HubServer> {
  const { retain, ...hubOptions } = options
  const running = await startHub({ ...hubOptions, store: redisStore({ url: redis.url, stream, retain }) })
  hubs.push(running)
  return running
}

describe('redisStore', () => {
  it('a publish on one hub instance reaches the clients of another', async () => {
    const stream = freshStream()
    const one = await hubOn(stream)
    const two = await hubOn(stream)
    const onOne = await one.connect()
    const onTwo = await two.connect()
    for (const s of [onOne, onTwo]) await s.waitFor((x) => x.messages().length === 1, 'the sync')

    const id = await one.hub.publish(tag('product:42'))
    expect(id).toMatch(/^\d+-\d+$/)
    for (const s of [onOne, onTwo]) {
      await s.waitFor((x) => x.messages().length === 2, 'the event on both instances')
      expect(s.messages()[1]).toEqual({ id, message: tag('product:42') })
    }
  })

  it("a client reconnecting to the other instance with Last-Event-ID gets exactly the events it missed, in order, then 'complete'", async () => {
    const stream = freshStream()
    const one = await hubOn(stream)
    const two = await hubOn(stream)
    const first = await one.connect()
    await first.waitFor((x) => x.messages().length === 1, 'the sync')
    const seen = [await one.hub.publish(tag('a')), await two.hub.publish(tag('b'))]
    await first.waitFor((x) => x.messages().length === 3, 'two live events')
    const lastSeen = first.messages()[2]!.id!
    expect(lastSeen).toBe(seen[1])
    first.close()

    const missed = [await one.hub.publish(tag('c')), await two.hub.publish(tag('d')), await one.hub.publish(tag('e'))]
    const back = await two.connect({ 'Last-Event-ID': lastSeen })
    await back.waitFor((x) => x.messages().length === 4, 'the replay and sync')
    const live = await one.hub.publish(tag('f'))
    await back.waitFor((x) => x.messages().length === 5, 'the next live event')
    expect(back.messages()).toEqual([
      { id: missed[0], message: tag('c') },
      { id: missed[1], message: tag('d') },
      { id: missed[2], message: tag('e') },
      { id: missed[2], message: syncOf('complete') },
      { id: live, message: tag('f') },
    ])
  })

  it('events survive the hub: a new hub instance on the same stream replays them', async () => {
    const stream = freshStream()
    const old = await hubOn(stream)
    const from = await old.hub.publish(tag('a'))
    const kept = await old.hub.publish(tag('b'))
    await old.stop()
    hubs.splice(hubs.indexOf(old), 1)

    const fresh = await hubOn(stream)
    const client = await fresh.connect({ 'Last-Event-ID': from })
    await client.waitFor((x) => x.messages().length === 2, 'the replay and sync')
    expect(client.messages()).toEqual([
      { id: kept, message: tag('b') },
      { id: kept, message: syncOf('complete') },
    ])
  })

  it("keeps exactly the last `retain` events: an id trimmed away gets 'unavailable', the newest trimmed id still replays", async () => {
    const stream = freshStream()
    const one = await hubOn(stream, { retain: 3 })
    const two = await hubOn(stream, { retain: 3 })
    const ids: string[] = []
    for (const name of ['a', 'b', 'c', 'd', 'e']) ids.push(await one.hub.publish(tag(name)))
    // The three retained events plus the oldest kept as the boundary marker.
    expect(await admin.xlen(stream)).toBe(4)

    const aged = await two.connect({ 'Last-Event-ID': ids[0]! })
    await aged.waitFor((x) => x.messages().length === 1, 'the sync')
    expect(aged.messages()).toEqual([{ id: ids[4], message: syncOf('unavailable') }])

    const edge = await two.connect({ 'Last-Event-ID': ids[1]! })
    await edge.waitFor((x) => x.messages().length === 4, 'the replay and sync')
    expect(edge.messages().map((m) => m.id)).toEqual([ids[2], ids[3], ids[4], ids[4]])
    expect(edge.messages()[3]!.message).toEqual(syncOf('complete'))
  })

  it("answers 'unavailable' for ids the stream never issued: ahead of it, below its first entry, or malformed", async () => {
    const stream = freshStream()
    const one = await hubOn(stream)
    const empty = await one.connect({ 'Last-Event-ID': '5-0' })
    await empty.waitFor((x) => x.messages().length === 1, 'the sync on an empty stream')
    expect(empty.messages()[0]!.message).toEqual(syncOf('unavailable'))

    await one.hub.publish(tag('a'))
    for (const id of ['1-0', '99999999999999-0', '18446744073709551615-18446744073709551615', 'bogus']) {
      const client = await one.connect({ 'Last-Event-ID': id })
      await client.waitFor((x) => x.messages().length === 1, `the sync for ${id}`)
      expect(client.messages()[0]!.message).toEqual(syncOf('unavailable'))
    }
  })

  it('skips stream entries that are not valid messages instead of streaming them', async () => {
    const stream = freshStream()
    const one = await hubOn(stream)
    const client = await one.connect()
    await client.waitFor((x) => x.messages().length === 1, 'the sync')
    await admin.xadd(stream, '*', 'm', '{"type":"invalidate"}')
    await admin.xadd(stream, '*', 'other', 'x')
    const good = await one.hub.publish(tag('good'))
    await client.waitFor((x) => x.messages().length === 2, 'the valid event')
    expect(client.messages()[1]).toEqual({ id: good, message: tag('good') })
  })

  it('isolates segments on the raw stream, replay included', async () => {
    await checkSegmentIsolation(redisStore({ url: redis.url, stream: freshStream() }))
  })

  it('close() releases every Redis connection the hub opened', async () => {
    const countClients = async () => ((await admin.client('LIST')) as string).trim().split('\n').length
    const before = await countClients()
    const stream = freshStream()
    const one = await hubOn(stream)
    const client = await one.connect()
    await client.waitFor((x) => x.messages().length === 1, 'the sync')
    await one.hub.publish(tag('a'))
    expect(await countClients()).toBe(before + 2) // commands + the blocking reader
    await one.stop()
    hubs.splice(hubs.indexOf(one), 1)
    await eventually(async () => expect(await countClients()).toBe(before), 3_000)
  })

  it('when Redis goes down, publish rejects clearly and clients stay connected; when it returns, publishing and delivery resume', async () => {
    const stream = freshStream()
    const one = await hubOn(stream, { heartbeatMs: 100 })
    const two = await hubOn(stream, { heartbeatMs: 100 })
    const onOne = await one.connect()
    const onTwo = await two.connect()
    for (const s of [onOne, onTwo]) await s.waitFor((x) => x.messages().length === 1, 'the sync')
    await one.hub.publish(tag('before'))
    for (const s of [onOne, onTwo]) await s.waitFor((x) => x.messages().length === 2, 'the first event')

    await redis.stop()
    const error = await one.hub.publish(tag('during')).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(Error)
    expect((error as Error).message).toMatch(
      new RegExp(`^cachet/server: the message was not stored, the event store failed: Redis at redis://127\\.0\\.0\\.1:${redis.port} `),
    )
    // The hub is up: its open streams still get heartbeats and are not ended.
    for (const s of [onOne, onTwo]) {
      const pings = s.raw.split(': ping').length
      await s.waitFor((x) => x.raw.split(': ping').length > pings, 'a heartbeat during the outage')
      expect(s.isEnded).toBe(false)
    }
    // A browser connecting during the outage is answered and its stream ended, so
    // that EventSource retries later, instead of hanging.
    const newcomer = await two.connect({ 'Last-Event-ID': '1-0' })
    expect(newcomer.status).toBe(200)
    await newcomer.waitFor((x) => x.isEnded, 'the stream opened during the outage to end', 5_000)

    await redis.start()
    const id = await eventually(() => two.hub.publish(tag('after')), 10_000)
    for (const s of [onOne, onTwo]) {
      await s.waitFor((x) => x.messages().some((m) => m.id === id), 'the event published after Redis came back', 10_000)
      expect(s.messages().at(-1)).toEqual({ id, message: tag('after') })
      expect(s.isEnded).toBe(false)
      expect(s.raw).not.toContain('during')
    }
  }, 40_000)
})
