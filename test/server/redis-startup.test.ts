// @vitest-environment node
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { redisStore } from '../../src/server'
import { eventually, startTestRedis, type TestRedis } from '../helpers/redis'
import { startHub } from './hub-setup'

// How redisStore starts: before Redis is up, and on a key of another type.

let redis: TestRedis
beforeAll(async () => {
  redis = await startTestRedis()
})
afterAll(async () => {
  await redis?.stop()
})

describe('redisStore starting', () => {
  it('a hub started before Redis is up starts delivering once Redis comes up', async () => {
    await redis.stop()
    const running = await startHub({ store: redisStore({ url: redis.url, stream: 'probe:late-start' }) })
    try {
      await expect(running.hub.publish({ type: 'invalidate', tags: ['early'] })).rejects.toThrow(/unreachable/)
      await redis.start()
      const stream = await eventually(async () => {
        const s = await running.connect()
        await s.waitFor((x) => x.isEnded || x.messages().length === 1, 'sync or end', 5_000)
        if (s.isEnded) throw new Error('ended')
        return s
      }, 15_000)
      const id = await eventually(() => running.hub.publish({ type: 'invalidate', tags: ['late'] }), 10_000)
      await stream.waitFor((x) => x.messages().some((m) => m.id === id), 'the live event', 10_000)
    } finally {
      await running.stop()
    }
  }, 40_000)

  it('a stream key holding another type: publish says so (not "unreachable")', async () => {
    const admin = new Redis(redis.url)
    await admin.set('probe:wrongtype', 'x')
    admin.disconnect()
    const running = await startHub({ store: redisStore({ url: redis.url, stream: 'probe:wrongtype' }) })
    try {
      const error = (await running.hub.publish({ type: 'invalidate', tags: ['x'] }).catch((e: unknown) => e)) as Error
      expect(error.message).toMatch(/WRONGTYPE/)
    } finally {
      await running.stop()
    }
  })
})
