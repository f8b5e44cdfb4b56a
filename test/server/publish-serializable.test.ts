// @vitest-environment node
import { afterEach, describe, expect, it } from 'vitest'
import type { InvalidationMessage } from '../../src/stream/schema'
import { startHub, type HubServer } from './hub-setup'

// A `set` whose data JSON.stringify cannot encode (a BigInt id from the
// database, a cycle) must be refused by publish(), not stored: with the
// memory store it used to be accepted, never reached live clients, and made
// every later replay over it end the stream before its sync, so a browser
// reconnecting with an older Last-Event-ID looped forever.

let running: HubServer | undefined
afterEach(async () => {
  await running?.stop()
  running = undefined
})

const tag = (name: string): InvalidationMessage => ({ type: 'invalidate', tags: [name] })

describe('publish of a message that is not JSON-serializable (memory store)', () => {
  it('rejects with a clear Error and stores nothing', async () => {
    running = await startHub()
    const { hub } = running
    const bigint = { type: 'set', key: ['order', 1], data: { id: 12345678901234567890n } } as unknown as InvalidationMessage
    await expect(hub.publish(bigint)).rejects.toThrow(/cachet\/server: cannot publish/)
    const cyclic: Record<string, unknown> = { name: 'x' }
    cyclic.self = cyclic
    await expect(hub.publish({ type: 'set', key: ['c'], data: cyclic })).rejects.toThrow(/cachet\/server: cannot publish/)
  })

  it('does not poison the replay of clients that reconnect from before it', async () => {
    running = await startHub()
    const { hub, connect } = running
    const before = await hub.publish(tag('before'))
    await hub.publish({ type: 'set', key: ['order', 1], data: { id: 1n } } as unknown as InvalidationMessage).catch(() => {})
    const after = await hub.publish(tag('after'))
    const stream = await connect({ 'Last-Event-ID': before })
    await stream.waitFor((s) => s.isEnded || s.raw.includes('"type":"sync"'), 'the sync (or the stream ending)')
    expect(stream.isEnded).toBe(false)
    expect(stream.messages().map((m) => m.id)).toEqual([after, after])
  })

  it('a message snapshotted at publish: mutating its data afterwards does not change what is replayed', async () => {
    running = await startHub()
    const { hub, connect } = running
    const first = await hub.publish(tag('first'))
    const data = { price: 10 }
    await hub.publish({ type: 'set', key: ['p'], data })
    data.price = 99 // the caller reuses its object
    const stream = await connect({ 'Last-Event-ID': first })
    await stream.waitFor((s) => s.raw.includes('"type":"sync"'), 'the sync')
    expect(stream.messages()[0]!.message).toEqual({ type: 'set', key: ['p'], data: { price: 10 } })
  })
})
