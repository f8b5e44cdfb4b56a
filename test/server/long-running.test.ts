// @vitest-environment node
import { afterEach, describe, expect, it, vi } from 'vitest'
import { memoryStore } from '../../src/server'
import { startHub, type HubServer } from './hub-setup'

// Long-running use of the hub: clients that come
// and go leave no heartbeat interval running, and the memory store keeps
// `retain` events, however many are published.

let running: HubServer | undefined
afterEach(async () => {
  await running?.stop()
  running = undefined
})

describe('a hub running for weeks', () => {
  it('stops its heartbeat when the last client leaves, every time', async () => {
    const set = vi.spyOn(globalThis, 'setInterval')
    const clear = vi.spyOn(globalThis, 'clearInterval')
    running = await startHub({ heartbeatMs: 60_000 })
    for (let round = 0; round < 10; round++) {
      const streams = await Promise.all([running.connect(), running.connect(), running.connect()])
      await Promise.all(streams.map((s) => s.waitFor((x) => x.messages().length > 0, 'the sync')))
      for (const stream of streams) stream.close()
      await vi.waitUntil(() => clear.mock.calls.length === round + 1, { timeout: 2_000, interval: 5 })
    }
    expect(set).toHaveBeenCalledTimes(10)
    expect(clear).toHaveBeenCalledTimes(10)
  })

  it('the memory store replays at most `retain` events after many publishes', async () => {
    const store = memoryStore({ retain: 50 })
    running = await startHub({ store })
    const ids: string[] = []
    for (let n = 0; n < 5_000; n++) ids.push(await running.hub.publish({ type: 'invalidate', tags: [`t${n}`] }))
    expect(await store.readAfter(ids.at(-51)!)).toHaveLength(50)
    expect(await store.readAfter(ids.at(-52)!)).toBe('unavailable')
  })
})
