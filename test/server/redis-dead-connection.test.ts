// @vitest-environment node
import type { Redis } from 'ioredis'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { redisStore } from '../../src/server'
import { adminClient, eventually, startRedisRelay, startTestRedis, type RedisRelay, type TestRedis } from '../helpers/redis'
import { startHub, type HubServer } from './hub-setup'

// When the network path to Redis died without a reset (a failover that moved
// the address, a NAT or load balancer that forgot the connection), the hub's
// reader sent read after read on the dead socket, each failing after its
// timeout, and never reconnected: until the OS gave up on the socket (many
// minutes), no event another instance published reached this hub's browsers,
// which counted what those events invalidated as fresh. A read that times out
// now makes the reader reconnect; it reads on after the last entry it saw.

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

describe('redisStore: a connection that dies without a word', () => {
  it("the reader reconnects, and delivers what another instance stored meanwhile", async () => {
    const stream = `cachet:test:${process.pid}:dead-path`
    relay = await startRedisRelay(redis.port)
    running = await startHub({ store: redisStore({ url: relay.url, stream }) })
    const client = await running.connect()
    await client.waitFor((s) => s.messages().length === 1, 'the sync')
    // The reader is blocked in XREAD.
    await eventually(async () => expect((await admin.client('LIST')) as string).toMatch(/cmd=xread/), 5_000)

    relay.stall()
    const id = await admin.xadd(stream, '*', 'm', JSON.stringify({ type: 'invalidate', tags: ['meanwhile'] }))

    // The blocked read times out after 7 s (its 5 s block plus 2 s); the reader then reconnects.
    await client.waitFor((s) => s.messages().length === 2 || s.isEnded, 'the event, over a new connection', 12_000)
    expect(client.messages()[1]).toEqual({ id, message: { type: 'invalidate', tags: ['meanwhile'] } })
  }, 20_000)
})
