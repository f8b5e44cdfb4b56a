// @vitest-environment node
import { describe, expect, it } from 'vitest'
import { createInvalidationHub, redisStore } from '../../src/server'
import { freePort } from '../helpers/redis'

// Store errors (publish rejections, which end up in logs) name the Redis URL
// with its password redacted. ioredis parses the URL with WHATWG URL, so a
// password may hold an unencoded '@' (the last '@' ends the userinfo), and
// `?password=` in the query is honoured too: neither may reach the message.

describe('redisStore: the password never appears in error messages', () => {
  it("redacts a password holding '@' and one given as ?password=", async () => {
    const port = await freePort() // nothing listens: every publish fails with the URL in its message
    const cases = [
      `redis://:hunter2@needle@127.0.0.1:${port}`,
      `redis://default:hunter2@needle@127.0.0.1:${port}/0`,
      `redis://127.0.0.1:${port}/0?password=hunter2needle`,
    ]
    const messages = await Promise.all(
      cases.map(async (url) => {
        const hub = createInvalidationHub({ store: redisStore({ url }) })
        try {
          const error = await hub.publish({ type: 'invalidate', tags: ['x'] }).catch((e: unknown) => e)
          return (error as Error).message
        } finally {
          await hub.close()
        }
      }),
    )
    for (const message of messages) {
      expect(message).toMatch(/event store failed: Redis at redis:\/\//)
      expect(message).toContain(`127.0.0.1:${port}`)
      expect(message).not.toContain('hunter2')
      expect(message).not.toContain('needle')
    }
  })
})
