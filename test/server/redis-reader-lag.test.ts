// @vitest-environment node
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { redisStore } from '../../src/server'
import { startTestRedis, type TestRedis } from '../helpers/redis'
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

/** Kills both hubs' stream readers, publishes 10 events meanwhile (retain 2 keeps 3), and waits for the client's stream to end. */
async function lagBehind(stream: string, before: number): Promise<{ lastId: string | undefined; reconnect: (lastId: string | undefined) => Promise<string>; stop: () => Promise<void> }> {
  const publisher = await startHub({ store: redisStore({ url: redis.url, stream, retain: 2 }) })
  const lagging = await startHub({ store: redisStore({ url: redis.url, stream, retain: 2 }) })
  const stop = async () => {
    await lagging.stop()
    await publisher.stop()
  }
  try {
    for (let n = 0; n < before; n++) await publisher.hub.publish({ type: 'invalidate', tags: [`before${n}`] })
    const client = await lagging.connect()
    await client.waitFor((s) => s.messages().length === 1, 'the sync')
    // Every connection blocked in XREAD is a hub's stream reader. Both are
    // killed (the publisher needs none to publish); each reconnects after a
    // backoff of at least 100 ms.
    const list = (await admin.client('LIST')) as string
    const readers = list.split('\n').filter((line) => /cmd=xread/.test(line)).map((line) => /id=(\d+)/.exec(line)![1]!)
    expect(readers).toHaveLength(2)
    for (const id of readers) await admin.client('KILL', 'ID', id)
    for (let n = 0; n < 10; n++) await publisher.hub.publish({ type: 'invalidate', tags: [`e${n}`] })
    await client.waitFor((s) => s.isEnded, 'the stream ending', 10_000)
    // None of what the reader found after the gap went out on the old stream.
    expect(client.messages().filter(({ message }) => message.type !== 'sync')).toEqual([])
    const lastId = client.frames().filter((frame) => frame.id !== undefined).at(-1)?.id
    const reconnect = async (id: string | undefined) => {
      const again = await lagging.connect(id === undefined ? {} : { 'Last-Event-ID': id })
      await again.waitFor((s) => s.raw.includes('"type":"sync"'), 'the sync')
      return again.raw
    }
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
