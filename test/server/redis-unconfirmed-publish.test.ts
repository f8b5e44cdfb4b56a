// @vitest-environment node
import type { Redis } from 'ioredis'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { redisStore } from '../../src/server'
import { adminClient, startTestRedis, type TestRedis } from '../helpers/redis'
import { startHub, type HubServer } from './hub-setup'

// A publish whose XADD Redis does not answer within the command timeout (a
// slow Redis, or one that has paused its clients) was rejected with "the
// message was not stored", and docs/server.md added "so no browser gets it".
// But the command was sent: Redis ran it once it got to it, and every hub's
// reader delivered it. The error now says that it may still reach every client.

let redis: TestRedis
let admin: Redis
let running: HubServer | undefined

beforeAll(async () => {
  redis = await startTestRedis()
  admin = await adminClient(redis.url)
})
afterEach(async () => {
  await running?.stop()
  running = undefined
})
afterAll(async () => {
  admin?.disconnect()
  await redis?.stop()
})

describe('redisStore: a publish Redis answers too late', () => {
  it('rejects without claiming the message was not stored, and the message is delivered', async () => {
    running = await startHub({ store: redisStore({ url: redis.url, stream: `cachet:test:${process.pid}:late` }) })
    const client = await running.connect()
    await client.waitFor((s) => s.messages().length === 1, 'the sync')

    // Writes wait 3 s: longer than the store's 2 s command timeout.
    await admin.client('PAUSE', 3_000, 'WRITE')
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
