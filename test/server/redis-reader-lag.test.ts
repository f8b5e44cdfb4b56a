// @vitest-environment node
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { redisStore } from '../../src/server'
import { eventually, startRedisRelay, startTestRedis, type TestRedis } from '../helpers/redis'
import { startHub } from './hub-setup'

// Each hub instance learns of new events from its own XREAD loop. When that
// reader falls behind by more than `retain` events (its connection dropped
// and is in backoff, or the event loop was blocked), the events trimmed
// meanwhile can never reach that hub's clients. They used to be skipped
// silently; the hub now ends its streams, and each browser's reconnect is
// answered 'unavailable', so it refetches what it shows.

let redis: TestRedis
let admin: Redis
beforeAll(async () => {
  redis = await startTestRedis()
  admin = new Redis(redis.url)
})
afterAll(async () => {
  admin?.disconnect()
  await redis?.stop()
})

/**
 * Kills both hubs' stream readers, keeps the lagging hub from Redis while 10
 * events are published (retain 2 keeps 3), and waits for the client's stream to end.
 */
async function lagBehind(stream: string, before: number): Promise<{ lastId: string | undefined; reconnect: (lastId: string | undefined) => Promise<string>; stop: () => Promise<void> }> {
  const publisher = await startHub({ store: redisStore({ url: redis.url, stream, retain: 2 }) })
  // The lagging hub reaches Redis through a relay the test cuts: its reader
  // stays away for all 10 publishes, however slowly they go.
  const relay = await startRedisRelay(redis.port)
  const lagging = await startHub({ store: redisStore({ url: relay.url, stream, retain: 2 }) })
  const stop = async () => {
    await lagging.stop()
    await publisher.stop()
    await relay.close()
  }
  try {
    for (let n = 0; n < before; n++) await publisher.hub.publish({ type: 'invalidate', tags: [`before${n}`] })
    const client = await lagging.connect()
    await client.waitFor((s) => s.messages().length === 1, 'the sync')
    // Every connection blocked in XREAD is a hub's stream reader. Both are
    // killed (the publisher needs none to publish), once both have got there
    // (a reader reaches XREAD a round trip or two after it starts).
    const readers = await eventually(async () => {
      const list = (await admin.client('LIST')) as string
      const found = list.split('\n').filter((line) => /cmd=xread/.test(line)).map((line) => /id=(\d+)/.exec(line)![1]!)
      expect(found).toHaveLength(2)
      return found
    }, 5_000)
    for (const id of readers) await admin.client('KILL', 'ID', id)
    relay.cut()
    for (let n = 0; n < 10; n++) await publisher.hub.publish({ type: 'invalidate', tags: [`e${n}`] })
    relay.restore()
    await client.waitFor((s) => s.isEnded, 'the stream ending', 10_000)
    // None of what the reader found after the gap went out on the old stream.
    expect(client.messages().filter(({ message }) => message.type !== 'sync')).toEqual([])
    const lastId = client.frames().filter((frame) => frame.id !== undefined).at(-1)?.id
    // The hub's commands connection may come back after its reader: a stream
    // it cannot serve yet ends before its sync, and the browser tries again.
    const reconnect = (id: string | undefined) =>
      eventually(async () => {
        const again = await lagging.connect(id === undefined ? {} : { 'Last-Event-ID': id })
        await again.waitFor((s) => s.raw.includes('"type":"sync"') || s.isEnded, 'the sync')
        if (!again.raw.includes('"type":"sync"')) throw new Error('the stream ended before its sync')
        return again.raw
      }, 5_000)
    return { lastId, reconnect, stop }
  } catch (error) {
    await stop()
    throw error
  }
}

describe('a hub whose stream reader falls behind by more than retain', () => {
  it("ends its streams, and a client's reconnect is told 'unavailable'", async () => {
    const lag = await lagBehind('lag:1', 1)
    try {
      expect(lag.lastId).toBeDefined()
      expect(await lag.reconnect(lag.lastId)).toContain('"replay":"unavailable"')
    } finally {
      await lag.stop()
    }
  })

  it('ends its streams also when the stream was empty when the reader started', async () => {
    const lag = await lagBehind('lag:2', 0)
    try {
      // The sync of an empty store has no id: the browser reconnects without one.
      expect(lag.lastId).toBeUndefined()
      expect(await lag.reconnect(undefined)).toContain('"replay":"none"')
    } finally {
      await lag.stop()
    }
  })
})
