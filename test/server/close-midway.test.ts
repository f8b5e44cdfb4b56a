// @vitest-environment node
import { afterEach, describe, expect, it, vi } from 'vitest'
import { memoryStore, type EventStore } from '../../src/server'
import { deferred } from '../helpers/deferred'
import { startHub, type HubServer } from './hub-setup'
import { openStream } from './sse-client'

// close() while one request waits in authorize and another in
// its replay read: the first is answered 503 once authorize settles, the
// second ends without a sync, nothing is written after end, no timer remains.

let running: HubServer | undefined
afterEach(async () => {
  vi.useRealTimers()
  await running?.stop()
  running = undefined
})

describe('close() midway', () => {
  it('during authorize and during a replay', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] })
    const inner = memoryStore()
    const readGate = deferred<void>()
    const reading = deferred<void>()
    const store: EventStore = {
      ...inner,
      readAfter: async (id) => {
        reading.resolve()
        await readGate.promise
        return inner.readAfter(id)
      },
    }
    const authGate = deferred<{ segments: string[] }>()
    const authorizing = deferred<void>()
    running = await startHub({
      store,
      authorize: (req) => {
        if (req.headers['x-slow'] === '1') {
          authorizing.resolve()
          return authGate.promise
        }
        return { segments: [] }
      },
    })
    const { hub, url } = running
    const first = await hub.publish({ type: 'invalidate', tags: ['a'] })
    await hub.publish({ type: 'invalidate', tags: ['b'] })
    const replaying = await openStream(url, { 'Last-Event-ID': first })
    await reading.promise
    const slow = openStream(url, { 'x-slow': '1' })
    await authorizing.promise
    const errors: unknown[] = []
    const onError = (e: unknown) => errors.push(e)
    process.on('uncaughtException', onError)
    await hub.close()
    readGate.resolve()
    authGate.resolve({ segments: [] })
    expect((await slow).status).toBe(503)
    await replaying.ended
    expect(replaying.raw).not.toContain('"type":"sync"')
    await new Promise((resolve) => setImmediate(resolve))
    process.off('uncaughtException', onError)
    expect(errors).toEqual([])
    expect(vi.getTimerCount()).toBe(0)
  })
})
