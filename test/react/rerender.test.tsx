import { screen } from '@testing-library/react'
import { describe, expect, it } from 'vitest'
import type { Cache, FetchContext } from '../../src/core/types'
import { useCachedQuery } from '../../src/react/use-cached-query'
import { cacheEachTest, controlledFetcher } from '../helpers/core'
import { elapse, renderWith, settle, testCache } from './helpers'

// Render counters: each component bumps its own count on every render.
let cache: Cache
let renders: Record<string, number>
cacheEachTest(testCache, (c) => {
  cache = c
  renders = {}
})

function count(name: string) {
  renders[name] = (renders[name] ?? 0) + 1
}

describe('re-renders only for what a component reads', () => {
  it('a component that reads data alone does not re-render when isFetching flips', async () => {
    const { fetcher, call } = controlledFetcher<string>()
    function DataOnly() {
      const q = useCachedQuery({ key: ['doc'], fetcher })
      count('data')
      return <p>{`data:${q.data ?? '-'}`}</p>
    }
    // The control proves isFetching did flip.
    function Fetching() {
      const q = useCachedQuery({ key: ['doc'], fetcher })
      count('fetching')
      return <p>{`fetching:${q.isFetching}`}</p>
    }
    renderWith(
      cache,
      <>
        <DataOnly />
        <Fetching />
      </>,
    )
    await settle()
    call(0).resolve('v1')
    await settle()
    expect(screen.getByText('data:v1')).toBeTruthy()
    expect(renders).toEqual({ data: 2, fetching: 3 }) // mount, data | mount, true, false

    // A refetch that brings the very same data back (an equal reference).
    void cache.invalidate({ key: ['doc'] })
    await settle()
    expect(screen.getByText('fetching:true')).toBeTruthy()
    call(1).resolve('v1')
    await settle()
    expect(screen.getByText('fetching:false')).toBeTruthy()
    expect(renders).toEqual({ data: 2, fetching: 5 })
  })

  it('a component whose entry an invalidation did not match does not re-render at all', async () => {
    const fetchers = {
      product: controlledFetcher<string>(),
      inventory: controlledFetcher<string>(),
    }
    function Product() {
      const q = useCachedQuery({ key: ['product', 42], fetcher: fetchers.product.fetcher, tags: ['product:42'] })
      count('product')
      return <p>{`${q.status} ${q.isFetching} ${q.isStale} ${q.data ?? '-'}`}</p>
    }
    function Inventory() {
      const q = useCachedQuery({ key: ['inventory'], fetcher: fetchers.inventory.fetcher, tags: ['inventory'] })
      count('inventory')
      return <p>{`${q.status} ${q.isFetching} ${q.isStale} ${q.data ?? '-'}`}</p>
    }
    renderWith(
      cache,
      <>
        <Product />
        <Inventory />
      </>,
    )
    await settle()
    fetchers.product.call(0).resolve('chair')
    fetchers.inventory.call(0).resolve('12 left')
    await settle()
    const before = { ...renders }

    void cache.invalidate({ tags: ['inventory'] })
    await settle()
    fetchers.inventory.call(1).resolve('11 left')
    await settle()
    expect(screen.getByText('success false true 11 left')).toBeTruthy()
    expect(renders.product).toBe(before.product)
    // Two renders: marked stale and fetching (one notification), then the new data.
    expect(renders.inventory).toBe(before.inventory! + 2)
    expect(fetchers.product.calls).toHaveLength(1)
  })

  it('re-renders when isStale flips with time only if the component reads isStale', async () => {
    const fetcher = async (_: FetchContext) => 'v1'
    function Freshness() {
      const q = useCachedQuery({ key: ['doc'], fetcher, staleTime: 1_000 })
      count('stale')
      return <p>{`stale:${q.isStale}`}</p>
    }
    function DataOnly() {
      const q = useCachedQuery({ key: ['doc'], fetcher, staleTime: 1_000 })
      count('data')
      return <p>{`data:${q.data ?? '-'}`}</p>
    }
    renderWith(
      cache,
      <>
        <Freshness />
        <DataOnly />
      </>,
    )
    await settle()
    expect(screen.getByText('stale:false')).toBeTruthy()
    const before = { ...renders }
    await elapse(1_000)
    expect(screen.getByText('stale:true')).toBeTruthy()
    expect(renders.stale).toBe(before.stale! + 1)
    expect(renders.data).toBe(before.data)
  })

  it('a field read for the first time later is current, and tracked from then on', async () => {
    const { fetcher, call } = controlledFetcher<string>()
    function Sometimes({ showFetching }: { showFetching: boolean }) {
      const q = useCachedQuery({ key: ['doc'], fetcher })
      count('sometimes')
      return <p>{showFetching ? `${q.data}:${q.isFetching}` : `${q.data}`}</p>
    }
    const view = renderWith(cache, <Sometimes showFetching={false} />)
    await settle()
    call(0).resolve('v1')
    await settle()
    void cache.invalidate({ key: ['doc'] })
    await settle()
    // isFetching flipped to true while nobody read it: no render for it...
    expect(renders.sometimes).toBe(2)
    // ...but the first read sees the current value,
    view.rerender(<Sometimes showFetching />)
    expect(screen.getByText('v1:true')).toBeTruthy()
    // and its flip back re-renders.
    call(1).resolve('v1')
    await settle()
    expect(screen.getByText('v1:false')).toBeTruthy()
  })

  it('a component reading status and data renders once for pending → success', async () => {
    const { fetcher, call } = controlledFetcher<string>()
    function Both() {
      const q = useCachedQuery({ key: ['doc'], fetcher })
      count('both')
      return <p>{`${q.status}:${q.data ?? '-'}`}</p>
    }
    renderWith(cache, <Both />)
    await settle()
    call(0).resolve('v1')
    await settle()
    expect(screen.getByText('success:v1')).toBeTruthy()
    expect(renders.both).toBe(2)
  })
})
