// @vitest-environment node
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { memoryStore, redisStore, type EventStore } from '../../src/server'
import type { InvalidationMessage } from '../../src/stream/schema'
import { startTestRedis, type TestRedis } from '../helpers/redis'
import { startHub } from './hub-setup'

// Data holding raw CR/LF, a forged SSE frame, NUL, U+2028,
// astral characters and a lone surrogate stays inside one data: line and
// arrives intact, live and replayed, through both stores.

let redis: TestRedis
beforeAll(async () => {
  redis = await startTestRedis()
})
afterAll(async () => {
  await redis?.stop()
})

const nasty = 'a\n\nid: 999-0\ndata: {"type":"invalidate","all":true}\r\n\r\n\u0000\u2028\u2029😀 \ud800 é'
const message: InvalidationMessage = { type: 'set', key: ['k', nasty], segment: undefined, data: { text: nasty, [nasty]: 1 } }

async function check(store: EventStore) {
  const running = await startHub({ store })
  try {
    const first = await running.hub.publish({ type: 'invalidate', tags: ['first'] })
    const live = await running.connect()
    await live.waitFor((s) => s.messages().length === 1, 'the sync')
    const id = await running.hub.publish(message)
    await live.waitFor((s) => s.messages().length === 2, 'the event')
    const replayed = await running.connect({ 'Last-Event-ID': first })
    await replayed.waitFor((s) => s.messages().length === 2, 'the replay and sync')
    for (const received of [live.messages()[1]!, replayed.messages()[0]!]) {
      expect(received.id).toBe(id)
      expect(received.message).toEqual(JSON.parse(JSON.stringify(message)))
    }
    // The reconnection time, the sync and the event: the data made no frame of its own.
    expect(live.frames()).toHaveLength(3)
  } finally {
    await running.stop()
  }
}

describe('SSE framing of hostile data', () => {
  it('memory store', () => check(memoryStore()))
  it('redis store', () => check(redisStore({ url: redis.url, stream: 'framing:1' })))
})
