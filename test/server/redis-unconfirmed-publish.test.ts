// @vitest-environment node
import { describe, expect, it } from 'vitest'
import { useTestRedis } from '../helpers/redis'

// A publish whose XADD Redis does not answer within the command timeout (a
// slow Redis, or one that has paused its clients) was rejected with "the
// message was not stored", and docs/server.md added "so no browser gets it".
// But the command was sent: Redis ran it once it got to it, and every hub's
// reader delivered it. The error now says that it may still reach every client.

const redis = useTestRedis()

describe('redisStore: a publish Redis answers too late', () => {
  it('rejects without claiming the message was not stored, and the message is delivered', async () => {
    const { running, client } = await redis.hubWithClient({ url: redis.url, stream: `cachet:test:${process.pid}:late` })

    // Writes wait 3 s: longer than the store's 2 s command timeout.
    await redis.admin.client('PAUSE', 3_000, 'WRITE')
    const error = await running.hub.publish({ type: 'invalidate', tags: ['late'] }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(Error)
    const { message } = error as Error
    expect(message).not.toMatch(/not stored/)
    expect(message).toMatch(
      /^cachet\/server: the event store did not confirm the message, which may still reach every client: Redis at redis:\/\/127\.0\.0\.1:\d+ did not answer XADD within 2000 ms/,
    )

    await client.waitFor((s) => s.messages().length === 2, 'the late event, once Redis runs the XADD', 5_000)
    expect(client.messages()[1]!.message).toEqual({ type: 'invalidate', tags: ['late'] })
  }, 15_000)
})
