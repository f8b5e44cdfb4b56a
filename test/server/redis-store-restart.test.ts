// @vitest-environment node
import type { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { redisStore } from '../../src/server'
import { adminClient, startTestRedis, type TestRedis } from '../helpers/redis'

// A Redis stream that lost its history (Redis restarted without persistence,
// or failed over to a node the last writes never reached) starts a new life.
// Its ids come from that Redis host's clock: on a host whose clock is behind,
// the new life's ids overlap the old ones, and a browser's id from the old
// life falls between the new first and last entries. The store took such an
// id as covered: the replay skipped the new life's events below it and said
// 'complete'. As for memoryStore (memory-store-restart.test.ts), only an id
// the stream holds counts now; every id the hub hands a browser is one.

let redis: TestRedis
let admin: Redis

beforeAll(async () => {
  redis = await startTestRedis()
  admin = await adminClient(redis.url)
})
afterAll(async () => {
  admin?.disconnect()
  await redis?.stop()
})

const entry = (tag: string) => JSON.stringify({ type: 'invalidate', tags: [tag] })

describe('redisStore: a stream that started a new life with the clock behind', () => {
  it("answers 'unavailable' for an id of its previous life", async () => {
    const stream = `cachet:test:${process.pid}:restart`
    const store = redisStore({ url: redis.url, stream })
    try {
      await admin.xadd(stream, '10000-0', 'm', entry('seen-before-restart'))
      expect(await store.readAfter('10000-0')).toEqual([])

      await admin.del(stream) // the restart: the history is gone
      await admin.xadd(stream, '5000-0', 'm', entry('missed-1')) // its clock is 5 s behind
      await admin.xadd(stream, '12000-0', 'm', entry('missed-2'))
      // Before the fix: [12000-0], so the hub said 'complete'; 5000-0 was silently skipped.
      expect(await store.readAfter('10000-0')).toBe('unavailable')
      // Ids it holds still replay exactly.
      expect(await store.readAfter('5000-0')).toEqual([{ id: '12000-0', message: { type: 'invalidate', tags: ['missed-2'] } }])
      expect(await store.readAfter('12000-0')).toEqual([])
    } finally {
      await store.close()
    }
  })
})
