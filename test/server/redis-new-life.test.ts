// @vitest-environment node
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { redisStore } from '../../src/server'
import { compareStreamIds } from '../../src/server/stream-id'
import type { InvalidationMessage } from '../../src/stream/schema'
import { adminClient, eventually, startRedisRelay, startTestRedis, type RedisRelay, type TestRedis } from '../helpers/redis'
import { startHub, type HubServer } from './hub-setup'
import type { SseStream } from './sse-client'

// A Redis restarted without persistence has lost the stream: the next XADD
// starts a new life of it. Each hub's live reader, which reads after the last
// id it saw, must deliver that new life to the streams it keeps open, or end
// them when it cannot (so that each browser's reconnect is told 'unavailable').

const tag = (name: string): InvalidationMessage => ({ type: 'invalidate', tags: [name] })
const entry = (name: string) => JSON.stringify(tag(name))
const syncOf = (replay: string) => ({ type: 'sync', replay })

let redis: TestRedis
let streamCount = 0
const cleanups: (() => Promise<void>)[] = []

beforeAll(async () => {
  redis = await startTestRedis()
})
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})
afterAll(async () => {
  await redis?.stop()
})

async function hubOn(url: string, stream: string): Promise<HubServer> {
  const running = await startHub({ store: redisStore({ url, stream }) })
  cleanups.push(() => running.stop())
  return running
}

async function relay(): Promise<RedisRelay> {
  const running = await startRedisRelay(redis.port)
  cleanups.push(() => running.close())
  return running
}

async function admin() {
  const client = await adminClient(redis.url)
  cleanups.push(async () => void client.disconnect())
  return client
}

/** A hub on a fresh stream (through `url`) with one client that got the sync and the event `before`. */
async function heardOne(url: string): Promise<{ stream: string; one: HubServer; client: SseStream; before: string }> {
  const stream = `cachet:test:${process.pid}:${++streamCount}`
  const one = await hubOn(url, stream)
  const client = await one.connect()
  await client.waitFor((s) => s.messages().length === 1, 'the sync')
  const before = await one.hub.publish(tag('before'))
  await client.waitFor((s) => s.messages().length === 2, 'the first event')
  return { stream, one, client, before }
}

describe('a hub whose Redis restarted without persistence', () => {
  it('delivers an event another instance stored before this hub reconnected, and keeps its streams open', async () => {
    const through = await relay()
    const { stream, one, client, before } = await heardOne(through.url)

    // Redis restarts; another instance reaches it, and publishes, before this
    // hub does. (The race the outage test in redis-store.test.ts sometimes lost.)
    through.cut()
    await redis.stop()
    await redis.start()
    const other = await admin()
    const after = await other.xadd(stream, '*', 'm', entry('after'))
    expect(compareStreamIds(after!, before)).toBeGreaterThan(0) // the host's clock is right
    through.restore()

    // Before the fix the reader took the new stream, whose first entry lies
    // above its last id, for one trimmed past it: it ended every stream.
    await client.waitFor((s) => s.isEnded || s.messages().some((m) => m.id === after), 'the event, or the stream ending', 10_000)
    expect(client.isEnded).toBe(false)
    expect(client.messages().at(-1)).toEqual({ id: after, message: tag('after') })
  })

  // The new stream's ids come from the Redis host's clock. When that clock is
  // behind, its first ids lie below the last one a hub's reader read, and
  // XREAD after that id skips them. The reader cannot deliver them in order
  // any more: it ends its streams, and reads the new stream from its start.
  it("whose clock is behind: ends its streams (nothing of the new stream skipped on them), a reconnect gets 'unavailable', live events follow", async () => {
    const { stream, one, client, before } = await heardOne(redis.url)

    await redis.stop()
    await redis.start()
    const other = await admin()
    const ms = Number(before.split('-')[0])
    await other.xadd(stream, `${ms - 5_000}-0`, 'm', entry('below')) // the clock is 5 s behind
    const above = await other.xadd(stream, `${ms + 1}-0`, 'm', entry('above')) // and then passes `before`
    await expectEndedThenUnavailable(one, client, before, above!)
    // The reader, back after the restart, checks the stream before it delivers: nothing of it went out.
    expect(client.raw).not.toContain('above')
  })

  it('the same when Redis restarts between a blocking read that delivered an event and the read that checks the stream', async () => {
    const stream = `cachet:test:${process.pid}:${++streamCount}`
    const through = await relay()
    const one = await hubOn(through.url, stream)
    const client = await one.connect()
    await client.waitFor((s) => s.messages().length === 1, 'the sync')
    const other = await admin()
    // The reader of this empty stream is blocked in XREAD.
    await eventually(async () => expect((await other.client('LIST')) as string).toMatch(/cmd=xread/), 5_000)
    through.hold() // its next read will not reach Redis
    const before = await other.xadd(stream, '*', 'm', entry('before'))
    await client.waitFor((s) => s.messages().length === 2, 'the event the blocking read delivered')

    through.cut()
    await redis.stop()
    await redis.start()
    const again = await admin()
    const ms = Number(before!.split('-')[0])
    await again.xadd(stream, `${ms - 5_000}-0`, 'm', entry('below'))
    const above = await again.xadd(stream, `${ms + 1}-0`, 'm', entry('above'))
    through.restore()
    await expectEndedThenUnavailable(one, client, before!, above!)
    expect(client.raw).not.toContain('above')
  })

  // Here the reader may deliver 'above' (it wakes on it) before its next read
  // finds the stream no longer holds `before`: the stream then ends all the same.
  it('the same when the stream starts again under a reader that stays connected (a proxy that fails over, a FLUSHALL)', async () => {
    const { stream, one, client, before } = await heardOne(redis.url)

    const other = await admin()
    const ms = Number(before.split('-')[0])
    await other.del(stream)
    await other.xadd(stream, `${ms - 5_000}-0`, 'm', entry('below'))
    const above = await other.xadd(stream, `${ms + 1}-0`, 'm', entry('above'))
    await expectEndedThenUnavailable(one, client, before, above!)
  })
})

/**
 * The client's stream ends, with no event of the new stream's below its last
 * id on it; the browser's reconnect with its last id is answered 'unavailable' at the new
 * stream's head, and a later publish reaches it, on a stream that stays open.
 */
async function expectEndedThenUnavailable(one: HubServer, client: SseStream, lastSeen: string, head: string): Promise<void> {
  // Before the fix the reader skipped 'below', sent 'above' on the open stream, and never ended it.
  await client.waitFor((s) => s.isEnded, 'the stream ending', 10_000)
  expect(client.raw).not.toContain('below')

  // Its commands connection may still be coming back: a stream it cannot serve ends before its sync.
  const again = await eventually(async () => {
    const s = await one.connect({ 'Last-Event-ID': lastSeen })
    await s.waitFor((x) => x.messages().length === 1 || x.isEnded, 'the sync')
    if (s.messages().length !== 1) throw new Error('the stream ended before its sync')
    return s
  }, 10_000)
  expect(again.messages()).toEqual([{ id: head, message: syncOf('unavailable') }])

  const next = await eventually(() => one.hub.publish(tag('next')), 10_000)
  // A reader still reading after `lastSeen` would end this stream too.
  await again.waitFor((s) => s.isEnded || s.messages().some((m) => m.id === next), 'the next event', 10_000)
  expect(again.isEnded).toBe(false)
  expect(again.messages()).toEqual([
    { id: head, message: syncOf('unavailable') },
    { id: next, message: tag('next') },
  ])
}
