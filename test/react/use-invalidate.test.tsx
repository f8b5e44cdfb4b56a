import { act } from '@testing-library/react'
import { useState } from 'react'
import { describe, expect, it } from 'vitest'
import type { Cache } from '../../src/core/types'
import { useInvalidate, type Invalidate } from '../../src/react/use-invalidate'
import { cacheEachTest } from '../helpers/core'
import { renderWith, settle, testCache } from './helpers'

let cache: Cache
cacheEachTest(() => testCache({ staleTime: 60_000 }), (c) => (cache = c))

/** Mounts a component that calls useInvalidate and hands the function out. */
function mountInvalidate(options?: { segment?: string }) {
  const handle = { current: undefined as unknown as Invalidate }
  function View() {
    handle.current = useInvalidate()
    return null
  }
  renderWith(cache, <View />, options)
  return handle
}

describe('useInvalidate', () => {
  it('returns one stable function across renders', () => {
    const seen = new Set<Invalidate>()
    let rerender!: () => void
    function View() {
      const [n, setN] = useState(0)
      rerender = () => setN(n + 1)
      seen.add(useInvalidate())
      return null
    }
    renderWith(cache, <View />)
    act(() => rerender())
    expect(seen.size).toBe(1)
  })

  it("does not add the provider's segment: a target without one hits every segment", async () => {
    cache.set(['recs'], 'all')
    cache.set(['recs'], 'arm a', { segment: 'arm-a' })
    cache.set(['recs'], 'arm b', { segment: 'arm-b' })
    const invalidate = mountInvalidate({ segment: 'arm-a' })
    let matched = 0
    await act(async () => {
      matched = await invalidate.current({ key: ['recs'] })
    })
    expect(matched).toBe(3)
    expect(cache.get(['recs'])?.isStale).toBe(true)
    expect(cache.get(['recs'], 'arm-a')?.isStale).toBe(true)
    expect(cache.get(['recs'], 'arm-b')?.isStale).toBe(true)
  })

  it('passes the target and mode through: a segment target, mode remove', async () => {
    cache.set(['recs'], 'arm a', { segment: 'arm-a' })
    cache.set(['recs'], 'arm b', { segment: 'arm-b' })
    const invalidate = mountInvalidate()
    await act(async () => {
      await invalidate.current({ segment: 'arm-b' }, { mode: 'remove' })
    })
    await settle()
    expect(cache.get(['recs'], 'arm-b')?.data).toBeUndefined()
    expect(cache.get(['recs'], 'arm-a')?.data).toBe('arm a')
    expect(cache.get(['recs'], 'arm-a')?.isStale).toBe(false)
  })
})
