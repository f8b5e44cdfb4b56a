// @vitest-environment node
import { describe, expect, it } from 'vitest'
import { eventually, useTestRedis } from '../helpers/redis'

// A replay was read with one XRANGE of everything after the browser's id, up to
// `retain` entries: Redis built the whole reply in that client's output buffer,
// and the hub received it as one reply, for each browser reconnecting from an
// old id. A wave of them, with big `set`s, spiked both Redis's memory and the
// hub's (Redis counts output buffers in `maxmemory`, and may evict keys for them,
// or drop a client past its `client-output-buffer-limit`). The replay is now
// read in pages, each checking that the stream still holds the entry it
// follows on from, so that trimming between pages answers 'unavailable', never
// a replay with a gap.

const redis = useTestRedis()
let streamCount = 0

const message = (n: number, data = '') => ({ type: 'set', key: ['item', n], data })

/** A fresh stream holding `count` entries; their ids, oldest first. */
async function filled(count: number, data = ''): Promise<{ stream: string; ids: string[] }> {
  const stream = `cachet:test:${process.pid}:paged:${++streamCount}`
  const pipeline = redis.admin.pipeline()
  for (let n = 0; n < count; n++) pipeline.xadd(stream, '*', 'm', JSON.stringify(message(n, data)))
  const results = (await pipeline.exec()) ?? []
  return { stream, ids: results.map(([, id]) => id as string) }
}

describe('redisStore: a replay of many entries', () => {
  it("is read in pages: Redis never holds a whole replay's reply for one client", async () => {
    // 3,001 entries of about 2 KB: a 6 MB replay after the first, under a Redis
    // that drops a client whose replies buffer more than 4 MB.
    const data = 'x'.repeat(2_000)
    const { stream, ids } = await filled(3_001, data)
    await redis.admin.config('SET', 'client-output-buffer-limit', 'normal 4mb 0 0')
    try {
      const store = redis.store({ url: redis.url, stream })
      const events = await store.readAfter(ids[0]!)
      expect(events).not.toBe('unavailable')
      const replay = events as Exclude<typeof events, 'unavailable'>
      expect(replay.map((e) => e.id)).toEqual(ids.slice(1))
      expect(replay.at(-1)!.message).toEqual(message(3_000, data))
    } finally {
      await redis.admin.config('SET', 'client-output-buffer-limit', 'normal 0 0 0')
    }
  }, 20_000)

  it("trimmed past the page it has reached: 'unavailable', never a replay with a gap", async () => {
    const { stream, ids } = await filled(1_200)
    const relay = await redis.relay()
    const store = redis.store({ url: relay.url, stream })
    await store.lastId() // connected

    // The first read's answer is kept back; meanwhile the stream is trimmed past all it read.
    relay.delay()
    const reading = store.readAfter(ids[0]!)
    await eventually(async () => expect((await redis.admin.client('LIST')) as string).toMatch(/cmd=exec/), 5_000)
    await redis.admin.xtrim(stream, 'MAXLEN', 100)
    relay.release()

    const events = await reading
    // Read at once, it would be whole; read in pages, the next page finds its start gone.
    if (events !== 'unavailable') expect(events.map((e) => e.id)).toEqual(ids.slice(1))
    expect(events).toBe('unavailable')
  }, 20_000)
})
