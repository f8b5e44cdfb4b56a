// @vitest-environment node
import { describe, expect, it } from 'vitest'
import { createInvalidationHub } from '../../src/server'

// heartbeatMs: 0 (a natural way to say "no heartbeat"), Infinity, a negative
// number or NaN all reached setInterval, which runs them every 1 ms (Infinity
// also prints a TimeoutOverflowWarning): every client got a ': ping' frame a
// millisecond, forever. Like memoryStore's `retain`, a value that is not a
// usable interval is refused with a RangeError naming the option.

describe('heartbeatMs', () => {
  it('refuses 0, negative, NaN, Infinity and more than 2^31 - 1 with a RangeError naming heartbeatMs', () => {
    for (const heartbeatMs of [0, -1, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 31]) {
      expect(() => createInvalidationHub({ heartbeatMs }), String(heartbeatMs)).toThrow(RangeError)
      expect(() => createInvalidationHub({ heartbeatMs }), String(heartbeatMs)).toThrow(/heartbeatMs/)
    }
  })

  it('takes 1 ms up to 2^31 - 1 ms', async () => {
    for (const heartbeatMs of [1, 15_000, 2 ** 31 - 1]) await createInvalidationHub({ heartbeatMs }).close()
  })
})
