// @vitest-environment node
import type { Redis } from 'ioredis'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { redisStore } from '../../src/server'
import { adminClient, eventually, startRedisRelay, startTestRedis, type RedisRelay, type TestRedis } from '../helpers/redis'
import { startHub, type HubServer } from './hub-setup'

// A publish whose connection dropped after its XADD reached Redis, before the
// answer came back, was rejected with "the message was not stored" (ioredis
// rejects the command with its max-retries error). But Redis had stored it, and
// every hub's reader delivered it. The error now says the store did not
// confirm it, as for an XADD that timed out. A publish Redis refuses, or one
// never sent, still says "not stored".

let redis: TestRedis
let admin: Redis
let relay: RedisRelay | undefined
let running: HubServer | undefined

beforeAll(async () => {
  redis = await startTestRedis()
  admin = await adminClient(redis.url)
})
afterEach(async () => {
  await running?.stop()
  running = undefined
  await relay?.close()
  relay = undefined
})
afterAll(async () => {
  admin?.disconnect()
  await redis?.stop()
})

describe('redisStore: a publish whose connection drops before Redis answers', () => {
  it('rejects without claiming the message was not stored, and the message is delivered', async () => {
    const stream = `cachet:test:${process.pid}:lost-answer`
    relay = await startRedisRelay(redis.port)
    running = await startHub({ store: redisStore({ url: relay.url, stream }) })
    const client = await running.connect()
    await client.waitFor((s) => s.messages().length === 1, 'the sync')

    // Redis gets the XADD and stores it; its answer never reaches the hub.
    relay.mute()
    const publishing = running.hub.publish({ type: 'invalidate', tags: ['lost'] }).catch((e: unknown) => e)
    await eventually(async () => expect(await admin.xlen(stream)).toBe(1), 1_500)
    relay.cut()
    const error = await publishing
    expect(error).toBeInstanceOf(Error)
    const { message } = error as Error
    expect(message).not.toMatch(/not stored/)
    expect(message).toMatch(
      /^cachet\/server: the event store did not confirm the message, which may still reach every client: Redis at redis:\/\/127\.0\.0\.1:\d+ lost the connection before it answered XADD/,
    )

    relay.restore()
    await client.waitFor((s) => s.messages().length === 2, 'the stored event, once the hub reconnects', 10_000)
    expect(client.messages()[1]!.message).toEqual({ type: 'invalidate', tags: ['lost'] })
  }, 20_000)

  it('still says "not stored" when Redis refuses the XADD', async () => {
    const stream = `cachet:test:${process.pid}:refused`
    running = await startHub({ store: redisStore({ url: redis.url, stream }) })
    await running.hub.publish({ type: 'invalidate', tags: ['first'] })
    await admin.config('SET', 'maxmemory', '1')
    try {
      const error = (await running.hub.publish({ type: 'invalidate', tags: ['refused'] }).catch((e: unknown) => e)) as Error
      expect(error.message).toMatch(/^cachet\/server: the message was not stored, the event store failed: Redis at .* failed to XADD: OOM/)
    } finally {
      await admin.config('SET', 'maxmemory', '0')
    }
  })
})
