// @vitest-environment node
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { memoryStore, redisStore, type EventStore } from '../../src/server'
import { startTestRedis, type TestRedis } from '../helpers/redis'
import { startHub, type HubServer } from './hub-setup'

// Clients connect with a Last-Event-ID while another hub
// instance publishes continuously; each must get exactly the events after its
// id, in order, no gap and no duplicate, across the replay/live boundary.

let redis: TestRedis
beforeAll(async () => {
  redis = await startTestRedis()
})
afterAll(async () => {
  await redis?.stop()
})

async function race(storeA: EventStore, storeB: EventStore | undefined) {
  const one = await startHub({ store: storeA })
  const two: HubServer = storeB ? await startHub({ store: storeB }) : one
  try {
    const published: string[] = [await one.hub.publish({ type: 'invalidate', tags: ['t0'] })]
    const clients: { from: string; stream: Awaited<ReturnType<HubServer['connect']>> }[] = []
    let done = false
    const publisher = (async () => {
      for (let n = 1; n <= 300; n++) {
        published.push(await one.hub.publish({ type: 'invalidate', tags: [`t${n}`] }))
        // Let connections progress between publishes (a memory store publishes synchronously).
        await new Promise((resolve) => setImmediate(resolve))
      }
      done = true
    })()
    // Each client resumes from a different point, spread over what is published so far (no randomness: reproducible).
    for (let k = 0; !done; k++) {
      const from = published[(k * 7919) % published.length]!
      clients.push({ from, stream: await two.connect({ 'Last-Event-ID': from }) })
    }
    await publisher
    const last = published.at(-1)!
    for (const { from, stream } of clients) {
      await stream.waitFor((s) => s.raw.includes(`id: ${last}\ndata: {"type":"invalidate"`), `the last event on a client from ${from}`, 10_000)
      const got = stream.messages().filter((m) => m.message.type !== 'sync').map((m) => m.id)
      expect(got).toEqual(published.slice(published.indexOf(from) + 1))
      expect(stream.messages().filter((m) => m.message.type === 'sync').map((m) => m.message.replay)).toEqual(['complete'])
    }
    return clients.length
  } finally {
    await one.stop()
    if (two !== one) await two.stop()
  }
}

describe('replay/live boundary under continuous publishing', () => {
  it('memory store, one hub', async () => {
    expect(await race(memoryStore(), undefined)).toBeGreaterThan(3)
  })
  it('redis store, publishing on one instance, clients on another', async () => {
    expect(await race(redisStore({ url: redis.url, stream: 'race:1' }), redisStore({ url: redis.url, stream: 'race:1' }))).toBeGreaterThan(3)
  })
})
