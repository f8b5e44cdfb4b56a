// @vitest-environment node
import { describe, expect, it } from 'vitest'
import { eventually, useTestRedis } from '../helpers/redis'

// When the network path to Redis died without a reset (a failover that moved
// the address, a NAT or load balancer that forgot the connection), the hub's
// reader sent read after read on the dead socket, each failing after its
// timeout, and never reconnected: until the OS gave up on the socket (many
// minutes), no event another instance published reached this hub's browsers,
// which counted what those events invalidated as fresh. A read that times out
// now makes the reader reconnect; it reads on after the last entry it saw.
// The same held for the commands connection: every browser that connected was
// ended before its sync, and every publish timed out. A replay or head read
// that times out now makes it reconnect too.

const redis = useTestRedis()

describe('redisStore: a connection that dies without a word', () => {
  it("the reader reconnects, and delivers what another instance stored meanwhile", async () => {
    const stream = `cachet:test:${process.pid}:dead-path`
    const relay = await redis.relay()
    const { client } = await redis.hubWithClient({ url: relay.url, stream })
    // The reader is blocked in XREAD.
    await eventually(async () => expect((await redis.admin.client('LIST')) as string).toMatch(/cmd=xread/), 5_000)

    relay.stall()
    const id = await redis.admin.xadd(stream, '*', 'm', JSON.stringify({ type: 'invalidate', tags: ['meanwhile'] }))

    // The blocked read times out after 7 s (its 5 s block plus 2 s); the reader then reconnects.
    await client.waitFor((s) => s.messages().length === 2 || s.isEnded, 'the event, over a new connection', 12_000)
    expect(client.messages()[1]).toEqual({ id, message: { type: 'invalidate', tags: ['meanwhile'] } })
  }, 20_000)

  it('a replay or head read that times out makes the commands connection reconnect: the next browser is served', async () => {
    const stream = `cachet:test:${process.pid}:dead-commands`
    const relay = await redis.relay()
    const { running } = await redis.hubWithClient({ url: relay.url, stream })

    const before = await running.hub.publish({ type: 'invalidate', tags: ['before'] })

    relay.stall()
    // Its replay read goes unanswered: the stream ends, after the 2 s command timeout.
    const during = await running.connect({ 'Last-Event-ID': before })
    await during.waitFor((s) => s.isEnded, 'the stream ending', 5_000)

    // The browser's next attempt gets a new connection.
    const id = await redis.admin.xadd(stream, '*', 'm', JSON.stringify({ type: 'invalidate', tags: ['meanwhile'] }))
    const again = await eventually(async () => {
      const s = await running.connect()
      await s.waitFor((x) => x.isEnded || x.messages().length === 1, 'the sync or the end', 5_000)
      if (s.isEnded) throw new Error('ended before its sync')
      return s
    }, 3_000)
    expect(again.messages()).toEqual([{ id, message: { type: 'sync', replay: 'none' } }])
    const published = await running.hub.publish({ type: 'invalidate', tags: ['after'] })
    await again.waitFor((s) => s.messages().some((m) => m.id === published), 'the published event', 10_000)
  }, 20_000)
})
