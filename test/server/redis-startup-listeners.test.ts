// @vitest-environment node
import { afterEach, describe, expect, it } from 'vitest'
import { createInvalidationHub, redisStore } from '../../src/server'
import { freePort } from '../helpers/redis'

// While the first Redis connection is being made (a hub that just started,
// or Redis not up yet), every publish and every browser that connects waits
// for it. Thousands of tabs reconnect at once after a deploy: each waiter
// added a 'ready'/'end' listener to the ioredis client and an 'abort'
// listener to the store's signal, and past 10 Node printed
// "MaxListenersExceededWarning: Possible EventEmitter memory leak detected".

const warnings: Error[] = []
const onWarning = (warning: Error) => warnings.push(warning)
afterEach(() => {
  process.off('warning', onWarning)
  warnings.length = 0
})

describe('redisStore: many callers waiting for the first connection', () => {
  it('prints no MaxListenersExceededWarning', async () => {
    process.on('warning', onWarning)
    const port = await freePort()
    const hub = createInvalidationHub({ store: redisStore({ url: `redis://127.0.0.1:${port}` }) })
    try {
      const results = await Promise.allSettled(Array.from({ length: 25 }, () => hub.publish({ type: 'invalidate', tags: ['x'] })))
      expect(results.every((r) => r.status === 'rejected')).toBe(true)
    } finally {
      await hub.close()
    }
    // Warnings are emitted on process.nextTick.
    await new Promise((resolve) => setImmediate(resolve))
    expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning').map((w) => w.message)).toEqual([])
  })
})
