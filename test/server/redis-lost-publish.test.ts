// @vitest-environment node
import { describe, expect, it } from 'vitest'
import { eventually, useTestRedis } from '../helpers/redis'

// A publish whose connection dropped after its XADD reached Redis, before the
// answer came back, was rejected with "the message was not stored" (ioredis
// rejects the command with its max-retries error). But Redis had stored it, and
// every hub's reader delivered it. The error now says the store did not
// confirm it, as for an XADD that timed out. A publish Redis refuses, or one
// never sent, still says "not stored".

const redis = useTestRedis()

describe('redisStore: a publish whose connection drops before Redis answers', () => {
  it('rejects without claiming the message was not stored, and the message is delivered', async () => {
    const stream = `cachet:test:${process.pid}:lost-answer`
    const relay = await redis.relay()
    const { running, client } = await redis.hubWithClient({ url: relay.url, stream })

    // Redis gets the XADD and stores it; its answer never reaches the hub.
    relay.mute()
    const publishing = running.hub.publish({ type: 'invalidate', tags: ['lost'] }).catch((e: unknown) => e)
    await eventually(async () => expect(await redis.admin.xlen(stream)).toBe(1), 1_500)
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
    const running = await redis.hub({ url: redis.url, stream })
    await running.hub.publish({ type: 'invalidate', tags: ['first'] })
    await redis.admin.config('SET', 'maxmemory', '1')
    try {
      const error = (await running.hub.publish({ type: 'invalidate', tags: ['refused'] }).catch((e: unknown) => e)) as Error
      expect(error.message).toMatch(/^cachet\/server: the message was not stored, the event store failed: Redis at .* failed to XADD: OOM/)
    } finally {
      await redis.admin.config('SET', 'maxmemory', '0')
    }
  })
})
