// @vitest-environment node
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createInvalidationHub, redisStore } from '../../src/server'
import { freePort, startTestRedis, type TestRedis } from '../helpers/redis'

// A publish on a Redis the store cannot connect to said only "is unreachable
// (no connection within 2000 ms, ioredis status: reconnecting)", whatever the
// cause: a wrong password read like a network fault, and ioredis's own error
// (WRONGPASS, ECONNREFUSED, ENOTFOUND) was dropped. It is named now.

let redis: TestRedis
beforeAll(async () => {
  redis = await startTestRedis()
})
afterAll(async () => {
  await redis?.stop()
})

async function publishError(url: string): Promise<string> {
  const hub = createInvalidationHub({ store: redisStore({ url }) })
  try {
    const error = await hub.publish({ type: 'invalidate', tags: ['a'] }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(Error)
    return (error as Error).message
  } finally {
    await hub.close()
  }
}

describe('redisStore: why a connection failed', () => {
  it('names a wrong password, without the password', async () => {
    const message = await publishError(`redis://nobody:s3cret@127.0.0.1:${redis.port}`)
    expect(message).toMatch(/^cachet\/server: the message was not stored, the event store failed: Redis at redis:\/\/\*\*\*@127\.0\.0\.1:\d+ is unreachable \(.*; last error: WRONGPASS/)
    expect(message).not.toContain('s3cret')
  })

  it('names a refused connection', async () => {
    const message = await publishError(`redis://127.0.0.1:${await freePort()}`)
    expect(message).toMatch(/is unreachable \(.*; last error: connect ECONNREFUSED 127\.0\.0\.1:\d+\)$/)
  })
})
