// @vitest-environment node
import { afterEach, describe, expect, it } from 'vitest'
import type { InvalidationMessage } from '../../src/stream/schema'
import { startHub, type HubServer } from './hub-setup'

// publish() validates a message, then stores its JSON form, which is what
// every browser receives. A message JSON changes on the way must be refused,
// as a bad message is: accepted, it reaches every browser as another message
// than the one published (or as one every browser rejects).

let running: HubServer | undefined
afterEach(async () => {
  await running?.stop()
  running = undefined
})

const tag = (name: string): InvalidationMessage => ({ type: 'invalidate', tags: [name] })

describe('publish of a message that JSON would change', () => {
  it("rejects a set whose data is undefined (it would arrive without data, rejected by every browser), and stores nothing", async () => {
    running = await startHub()
    const { hub, connect } = running
    const first = await hub.publish(tag('first'))
    await expect(hub.publish({ type: 'set', key: ['user', 7], data: undefined })).rejects.toThrow(
      'cachet/server: cannot publish a set whose data is undefined: JSON cannot send it (publish null, or invalidate the key)',
    )
    const last = await hub.publish(tag('last'))
    const stream = await connect({ 'Last-Event-ID': first })
    await stream.waitFor((s) => s.raw.includes('"type":"sync"'), 'the sync')
    expect(stream.messages().map((m) => m.message.type)).toEqual(['invalidate', 'sync'])
    expect(stream.messages()[0]!.id).toBe(last)
    stream.close()
  })

  it('rejects a key that JSON would turn into another key: undefined or NaN become null', async () => {
    running = await startHub()
    const { hub } = running
    await expect(hub.publish({ type: 'invalidate', key: ['user', undefined] })).rejects.toThrow(
      'cachet/server: cannot publish a message that JSON would change: key[1]: undefined does not survive JSON',
    )
    await expect(hub.publish({ type: 'set', key: ['price', Number.NaN], data: 1 })).rejects.toThrow(
      'cachet/server: cannot publish a message that JSON would change: key[1]: NaN does not survive JSON',
    )
    await expect(hub.publish({ type: 'invalidate', key: ['report', { from: new Date(0) }] })).rejects.toThrow(
      'cachet/server: cannot publish a message that JSON would change: key[1].from: Date does not survive JSON',
    )
  })

  it('still publishes what JSON carries as it is: undefined object fields in a key or in data are left out, as in a fetch', async () => {
    running = await startHub()
    const { hub } = running
    await expect(hub.publish({ type: 'invalidate', key: ['recs', { page: 1, filter: undefined }] })).resolves.toMatch(/^\d+-\d+$/)
    await expect(hub.publish({ type: 'set', key: ['recs'], data: { items: [], next: undefined } })).resolves.toMatch(/^\d+-\d+$/)
    await expect(hub.publish({ type: 'set', key: ['recs'], data: null })).resolves.toMatch(/^\d+-\d+$/)
    // A field given as undefined counts as not given.
    await expect(hub.publish({ type: 'invalidate', key: undefined, tags: ['t'] })).resolves.toMatch(/^\d+-\d+$/)
  })
})
