// @vitest-environment node
import { afterEach, describe, expect, it } from 'vitest'
import { startHub, type HubServer } from './hub-setup'

// The hub drops a client whose socket does not drain (over 1 MiB buffered).
// One live event bigger than that (a `set` carrying a large payload) is not
// a slow client: a client that reads everything must get it, not be cut off
// the moment it is written (and then reconnect to get it by replay; every
// connected browser would reconnect at once).

let running: HubServer | undefined
afterEach(async () => {
  await running?.stop()
  running = undefined
})

describe('a single live event larger than the 1 MiB slow-client limit', () => {
  it('reaches a client that reads, which stays connected', async () => {
    running = await startHub()
    const { hub, connect } = running
    const stream = await connect()
    await stream.waitFor((s) => s.messages().length === 1, 'the sync')
    const big = 'x'.repeat(16 * 1024 * 1024)
    const id = await hub.publish({ type: 'set', key: ['big'], data: big })
    await stream.waitFor((s) => s.isEnded || s.raw.length > big.length, 'the big event (or the stream ending)', 10_000)
    expect(stream.isEnded).toBe(false)
    expect(stream.raw.includes(`id: ${id}\n`)).toBe(true)
  })
})
