// @vitest-environment node
import { afterEach, describe, expect, it } from 'vitest'
import { createInvalidationHub } from '../../src/server'
import { startHub, type HubServer } from './hub-setup'

// heartbeatMs: 0 (a natural way to say "no heartbeat"), Infinity, a negative
// number or NaN all reached setInterval, which runs them every 1 ms (Infinity
// also prints a TimeoutOverflowWarning): every client got a ': ping' frame a
// millisecond, forever. Like memoryStore's `retain`, a value that is not a
// usable interval is refused with a RangeError naming the option.

let running: HubServer | undefined
afterEach(async () => {
  await running?.stop()
  running = undefined
})

describe('heartbeatMs that setInterval cannot honour', () => {
  it('does not spam clients with a ping every millisecond', async () => {
    let rejected = false
    try {
      running = await startHub({ heartbeatMs: 0 })
    } catch (error) {
      rejected = error instanceof RangeError
    }
    if (rejected) return
    const stream = await running!.connect()
    await stream.waitFor((s) => s.messages().length === 1, 'the sync')
    // Bounded: 200 ms of a hub that should ping every 15 s or never.
    await stream.waitFor((s) => s.raw.split(': ping').length > 20, '20 pings', 200).catch(() => {})
    expect(stream.raw.split(': ping').length - 1).toBeLessThan(5)
  })

  it('refuses 0, negative, NaN and Infinity with a RangeError naming heartbeatMs', () => {
    for (const heartbeatMs of [0, -1, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 31]) {
      expect(() => createInvalidationHub({ heartbeatMs }), String(heartbeatMs)).toThrow(RangeError)
      expect(() => createInvalidationHub({ heartbeatMs }), String(heartbeatMs)).toThrow(/heartbeatMs/)
    }
  })
})
