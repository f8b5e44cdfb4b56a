// @vitest-environment node
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createCache } from '../../src/core/cache'
import { broadcastInvalidations } from '../../src/stream/broadcast'

// Safari before 15.4 has no BroadcastChannel. Cross-tab relaying is an
// enhancement: without it each tab keeps working on its own, so the call must
// not throw (an app calling it at startup would crash in those browsers).
afterEach(() => vi.unstubAllGlobals())

describe('broadcastInvalidations without BroadcastChannel (older Safari)', () => {
  it('does not throw, relays nothing, and returns a stop function that can be called', async () => {
    vi.stubGlobal('BroadcastChannel', undefined)
    const onError = vi.fn()
    const cache = createCache({ onError })
    let stop: (() => void) | undefined
    expect(() => {
      stop = broadcastInvalidations(cache, { channel: 'x' })
    }).not.toThrow()
    expect(typeof stop).toBe('function')
    await cache.invalidate({ tags: ['a'] })
    cache.setModelVersion('m', 'r1')
    expect(() => stop!()).not.toThrow()
    expect(onError).not.toHaveBeenCalled()
  })
})
