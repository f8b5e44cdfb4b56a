// @vitest-environment node
import fc from 'fast-check'
import { afterAll, beforeAll, describe, it } from 'vitest'
import { redisStore } from '../../src/server'
import { startTestRedis, type TestRedis } from '../helpers/redis'
import { stats, commandArb, lagging, memory, runScenario, slowMemory, type ScenarioOptions } from './hub-property'

// Property test of the hub's delivery guarantees (API.md "Server", docs/server.md
// "Replay and sync" and "Heartbeats"), over real loopback HTTP: random publishes
// (segmented or not, every message type), connects (no Last-Event-ID, an id some
// client saw, a stale or malformed id), disconnects, reconnects with the last id
// seen, connects while events are published, and heartbeats. hub-property.ts
// checks the invariants after every command.

const seed = Number(process.env.HUB_PROPERTY_SEED ?? 20250611)

function holds(options: (retain: number) => ScenarioOptions, numRuns: number) {
  return fc.assert(
    fc.asyncProperty(fc.integer({ min: 3, max: 8 }), fc.array(commandArb(true), { minLength: 1, maxLength: 20 }), (retain, commands) =>
      runScenario({ ...options(retain), heartbeatMs: 15 }, commands),
    ),
    { numRuns, seed },
  )
}

describe('invalidation hub delivery (property)', () => {
  afterAll(() => {
    if (process.env.HUB_PROPERTY_STATS) console.log(stats)
  })
  it('memory store', () => holds(memory, 100), 60_000)
  it('a store whose reads answer a turn later', () => holds(slowMemory, 100), 60_000)
  it('a store whose delivery lags its appends by a turn', () => holds(lagging, 100), 60_000)

  describe('redis store', () => {
    let redis: TestRedis
    let streams = 0
    beforeAll(async () => {
      redis = await startTestRedis()
    })
    afterAll(async () => {
      await redis?.stop()
    })
    it('redis store', () => holds((retain) => ({ retain, store: () => redisStore({ url: redis.url, stream: `prop:${streams++}`, retain }) }), 60), 60_000)
  })
})
