import { act, render, screen } from '@testing-library/react'
import { Component, useState, type ReactNode } from 'react'
import { describe, expect, it, vi } from 'vitest'
import type { Cache, FetchContext } from '../../src/core/types'
import { CacheProvider } from '../../src/react/provider'
import { useCachedQuery } from '../../src/react/use-cached-query'
import { cacheEachTest, controlledFetcher } from '../helpers/core'
import { elapse, renderTransition, renderWith, settle, testCache } from './helpers'

let cache: Cache
cacheEachTest(testCache, (c) => (cache = c))

describe('useCachedQuery', () => {
  it('fetches on mount and moves from pending to success', async () => {
    const { fetcher, call } = controlledFetcher<string>()
    function View() {
      const q = useCachedQuery({ key: ['greeting'], fetcher })
      return <p>{`${q.status}:${q.data ?? '-'}`}</p>
    }
    renderWith(cache, <View />)
    expect(screen.getByText('pending:-')).toBeTruthy()
    await settle()
    expect(fetcher).toHaveBeenCalledTimes(1)
    call(0).resolve('hi')
    await settle()
    expect(screen.getByText('success:hi')).toBeTruthy()
  })

  it('shows an error, keeping the status in step', async () => {
    const { fetcher, call } = controlledFetcher<string>()
    function View() {
      const q = useCachedQuery({ key: ['broken'], fetcher })
      return <p>{`${q.status}:${q.error?.message ?? '-'}`}</p>
    }
    renderWith(cache, <View />)
    await settle()
    call(0).reject(new Error('boom'))
    await settle()
    expect(screen.getByText('error:boom')).toBeTruthy()
  })

  it("uses the provider's segment unless the query names its own", async () => {
    const { fetcher, call } = controlledFetcher<string>()
    function View({ segment }: { segment?: string }) {
      const q = useCachedQuery({ key: ['recs'], fetcher, segment })
      return <p>{q.data ?? '-'}</p>
    }
    renderWith(cache, <View />, { segment: 'exp-42:b' })
    await settle()
    expect(call(0).ctx.segment).toBe('exp-42:b')
    call(0).resolve('b-recs')
    await settle()
    expect(cache.get(['recs'], 'exp-42:b')?.data).toBe('b-recs')
    expect(cache.get(['recs'])).toBeUndefined()

    renderWith(cache, <View segment="tenant-1" />, { segment: 'exp-42:b' })
    await settle()
    expect(call(1).ctx.segment).toBe('tenant-1')
  })

  it('does not fetch while disabled, and fetches once enabled', async () => {
    const { fetcher, call } = controlledFetcher<string>()
    function View({ enabled }: { enabled: boolean }) {
      const q = useCachedQuery({ key: ['user', 7], fetcher, enabled })
      return <p>{`${q.status}:${q.data ?? '-'}`}</p>
    }
    const view = renderWith(cache, <View enabled={false} />)
    await settle(5_000)
    expect(fetcher).not.toHaveBeenCalled()
    expect(screen.getByText('pending:-')).toBeTruthy()

    view.rerender(<View enabled />)
    await settle()
    expect(fetcher).toHaveBeenCalledTimes(1)
    call(0).resolve('ada')
    await settle()
    expect(screen.getByText('success:ada')).toBeTruthy()
  })

  it('shows cached data of a disabled query without fetching', async () => {
    cache.set(['user', 7], 'cached ada')
    const { fetcher } = controlledFetcher<string>()
    function View() {
      const q = useCachedQuery({ key: ['user', 7], fetcher, enabled: false })
      return <p>{`${q.status}:${q.data ?? '-'}`}</p>
    }
    renderWith(cache, <View />)
    await settle()
    expect(screen.getByText('success:cached ada')).toBeTruthy()
    expect(fetcher).not.toHaveBeenCalled()
  })

  it('runs select again only when the data or the function changes', async () => {
    const { fetcher, call } = controlledFetcher<number[]>()
    const select = vi.fn((xs: number[]) => xs.length)
    const other = vi.fn((xs: number[]) => xs.length * 10)
    let rerenderParent!: () => void
    function View({ pick }: { pick: (xs: number[]) => number }) {
      const [, setTick] = useState(0)
      rerenderParent = () => setTick((t) => t + 1)
      const q = useCachedQuery({ key: ['list'], fetcher, select: pick })
      return <p>{`${q.data ?? '-'}:${q.isFetching}`}</p>
    }
    const view = renderWith(cache, <View pick={select} />)
    await settle()
    call(0).resolve([1, 2, 3])
    await settle()
    expect(screen.getByText('3:false')).toBeTruthy()
    expect(select).toHaveBeenCalledTimes(1)

    // Re-renders for other reasons, and a refetch that flips isFetching: same data, same function.
    act(() => rerenderParent())
    void cache.invalidate({ key: ['list'] })
    await settle()
    expect(screen.getByText('3:true')).toBeTruthy()
    expect(select).toHaveBeenCalledTimes(1)

    // New data: select runs once for it.
    call(1).resolve([1, 2, 3, 4])
    await settle()
    expect(screen.getByText('4:false')).toBeTruthy()
    expect(select).toHaveBeenCalledTimes(2)
    expect(select).toHaveBeenLastCalledWith([1, 2, 3, 4])

    // A new function: it runs on the data as it is.
    view.rerender(<View pick={other} />)
    expect(screen.getByText('40:false')).toBeTruthy()
    expect(other).toHaveBeenCalledTimes(1)
    expect(select).toHaveBeenCalledTimes(2)
  })

  it("shows placeholderData (through select) with status 'pending' until data arrives", async () => {
    const { fetcher, call } = controlledFetcher<string[]>()
    function View() {
      const q = useCachedQuery({
        key: ['recs'],
        fetcher,
        placeholderData: ['loading…'],
        select: (xs) => xs.join(','),
      })
      return <p>{`${q.status}:${q.data}`}</p>
    }
    renderWith(cache, <View />)
    expect(screen.getByText('pending:loading…')).toBeTruthy()
    await settle()
    expect(screen.getByText('pending:loading…')).toBeTruthy()
    call(0).resolve(['a', 'b'])
    await settle()
    expect(screen.getByText('success:a,b')).toBeTruthy()
    expect(cache.get(['recs'])?.data).toEqual(['a', 'b'])
  })

  it("stops showing placeholderData once the first fetch fails: status 'error', data undefined (as TanStack Query)", async () => {
    const { fetcher, call } = controlledFetcher<string>()
    function View() {
      const q = useCachedQuery({ key: ['recs', 'failing'], fetcher, placeholderData: 'loading…' })
      return <p>{`${q.status}:${q.data ?? '-'}:${q.error?.message ?? '-'}`}</p>
    }
    renderWith(cache, <View />)
    expect(screen.getByText('pending:loading…:-')).toBeTruthy()
    await settle()
    call(0).reject(new Error('model down'))
    await settle()
    expect(screen.getByText('error:-:model down')).toBeTruthy()
  })

  it('refetches every refetchInterval ms while mounted, and stops on unmount', async () => {
    let n = 0
    const fetcher = vi.fn(async () => ++n)
    function View() {
      const q = useCachedQuery({ key: ['tick'], fetcher, refetchInterval: 1_000, staleTime: 60_000 })
      return <p>{`n=${q.data ?? '-'}`}</p>
    }
    const view = renderWith(cache, <View />)
    await settle()
    expect(screen.getByText('n=1')).toBeTruthy()
    await elapse(1_000)
    expect(screen.getByText('n=2')).toBeTruthy()
    await elapse(1_000)
    expect(screen.getByText('n=3')).toBeTruthy()
    expect(fetcher).toHaveBeenCalledTimes(3)

    view.unmount()
    await settle(5_000)
    expect(fetcher).toHaveBeenCalledTimes(3)
  })

  it('skips refetchInterval ticks while the page is hidden (a background tab), as TanStack Query and SWR do by default', async () => {
    let n = 0
    const fetcher = vi.fn(async () => ++n)
    function View() {
      const q = useCachedQuery({ key: ['tick'], fetcher, refetchInterval: 1_000, staleTime: 60_000 })
      return <p>{`n=${q.data ?? '-'}`}</p>
    }
    let visibility: DocumentVisibilityState = 'visible'
    const spy = vi.spyOn(document, 'visibilityState', 'get').mockImplementation(() => visibility)
    try {
      renderWith(cache, <View />)
      await settle()
      expect(screen.getByText('n=1')).toBeTruthy()
      visibility = 'hidden'
      document.dispatchEvent(new Event('visibilitychange'))
      await elapse(10_000)
      expect(fetcher).toHaveBeenCalledTimes(1)
      // Shown again: the interval goes on (the data is fresh, so focus fetched nothing).
      visibility = 'visible'
      window.dispatchEvent(new Event('visibilitychange'))
      await elapse(1_000)
      expect(screen.getByText('n=2')).toBeTruthy()
      expect(fetcher).toHaveBeenCalledTimes(2)
    } finally {
      spy.mockRestore()
    }
  })

  it('follows a refetchInterval that changes between renders', async () => {
    let n = 0
    const fetcher = vi.fn(async () => ++n)
    function View({ every }: { every?: number }) {
      const q = useCachedQuery({ key: ['tick'], fetcher, refetchInterval: every, staleTime: 60_000 })
      return <p>{`n=${q.data ?? '-'}`}</p>
    }
    const view = renderWith(cache, <View />)
    await settle()
    await elapse(5_000)
    expect(fetcher).toHaveBeenCalledTimes(1)

    view.rerender(<View every={500} />)
    await elapse(500)
    expect(screen.getByText('n=2')).toBeTruthy()

    view.rerender(<View />)
    await elapse(5_000)
    expect(fetcher).toHaveBeenCalledTimes(2)
  })

  it('counts refetchInterval from the fetch a new key or enabling starts, as TanStack Query does (no refetch right after it)', async () => {
    const fetcher = vi.fn(async ({ key }: FetchContext) => `page ${String(key[1])}`)
    function View({ page, enabled = true }: { page: number; enabled?: boolean }) {
      const q = useCachedQuery({ key: ['feed', page], fetcher, enabled, refetchInterval: 1_000, staleTime: 60_000 })
      return <p>{`${q.data ?? '-'}`}</p>
    }
    const pages = () => fetcher.mock.calls.map(([ctx]) => ctx.key[1])
    const view = renderWith(cache, <View page={1} />)
    await settle()
    await elapse(900)
    // The next page 900 ms into the interval: fetched now, and again a full interval later.
    view.rerender(<View page={2} />)
    await settle()
    expect(screen.getByText('page 2')).toBeTruthy()
    await elapse(500)
    expect(pages()).toEqual([1, 2])
    await elapse(500)
    expect(pages()).toEqual([1, 2, 2])

    // A dependent query turned on 900 ms into the interval: likewise.
    view.rerender(<View page={3} enabled={false} />)
    await elapse(900)
    view.rerender(<View page={3} />)
    await settle()
    expect(screen.getByText('page 3')).toBeTruthy()
    await elapse(500)
    expect(pages()).toEqual([1, 2, 2, 3])
    await elapse(500)
    expect(pages()).toEqual([1, 2, 2, 3, 3])
  })

  it('refetches a stale query on window focus and on reconnect, unless turned off', async () => {
    let n = 0
    const fetcher = vi.fn(async () => ++n)
    const quiet = vi.fn(async () => 0)
    function View() {
      const q = useCachedQuery({ key: ['live'], fetcher })
      const off = useCachedQuery({
        key: ['quiet'],
        fetcher: quiet,
        refetchOnFocus: false,
        refetchOnReconnect: false,
      })
      return <p>{`n=${q.data ?? '-'} ${off.status}`}</p>
    }
    renderWith(cache, <View />)
    await settle()
    expect(screen.getByText('n=1 success')).toBeTruthy()

    act(() => {
      document.dispatchEvent(new Event('visibilitychange', { bubbles: true }))
    })
    await settle()
    expect(screen.getByText('n=2 success')).toBeTruthy()

    act(() => {
      window.dispatchEvent(new Event('online'))
    })
    await settle()
    expect(screen.getByText('n=3 success')).toBeTruthy()
    expect(quiet).toHaveBeenCalledTimes(1)
  })

  it('refetch() fetches even when fresh and resolves with the data', async () => {
    let n = 0
    const fetcher = vi.fn(async () => ++n)
    let query!: { refetch(): Promise<number> }
    function View() {
      const q = useCachedQuery({ key: ['count'], fetcher, staleTime: 60_000 })
      query = q
      return <p>{`n=${q.data ?? '-'}`}</p>
    }
    renderWith(cache, <View />)
    await settle()
    expect(screen.getByText('n=1')).toBeTruthy()
    const first = query.refetch
    let result: number | undefined
    await act(async () => {
      result = await query.refetch()
    })
    await settle()
    expect(result).toBe(2)
    expect(screen.getByText('n=2')).toBeTruthy()
    expect(query.refetch).toBe(first)
  })

  it("never shows the old key's data as the new key's", async () => {
    const { fetcher, call } = controlledFetcher<string>()
    const seen: string[] = []
    function View({ id }: { id: number }) {
      const q = useCachedQuery({ key: ['user', id], fetcher })
      seen.push(`${id}:${q.status}:${q.data ?? '-'}`)
      return <p>{`${id}:${q.data ?? '-'}`}</p>
    }
    const view = renderWith(cache, <View id={1} />)
    await settle()
    call(0).resolve('ada')
    await settle()
    expect(screen.getByText('1:ada')).toBeTruthy()

    seen.length = 0
    view.rerender(<View id={2} />)
    expect(screen.getByText('2:-')).toBeTruthy()
    await settle()
    expect(call(1).ctx.key).toEqual(['user', 2])
    call(1).resolve('grace')
    await settle()
    expect(screen.getByText('2:grace')).toBeTruthy()
    expect(seen.filter((line) => line.startsWith('2:'))).not.toContain('2:success:ada')
    expect(seen.some((line) => line.includes('ada'))).toBe(false)

    // Back to a key with cached data: shown at once.
    view.rerender(<View id={1} />)
    expect(screen.getByText('1:ada')).toBeTruthy()
  })

  it("ignores the old key's late answer after switching keys", async () => {
    const { fetcher, call } = controlledFetcher<string>()
    function View({ id }: { id: number }) {
      const q = useCachedQuery({ key: ['user', id], fetcher })
      return <p>{`${id}:${q.status}:${q.data ?? '-'}`}</p>
    }
    const view = renderWith(cache, <View id={1} />)
    await settle()
    view.rerender(<View id={2} />)
    await settle()
    call(0).resolve('ada (late)')
    await settle()
    expect(screen.getByText('2:pending:-')).toBeTruthy()
    call(1).resolve('grace')
    await settle()
    expect(screen.getByText('2:success:grace')).toBeTruthy()
  })

  it('unmounting mid-fetch aborts the fetch, and the late answer renders nothing', async () => {
    const { fetcher, call } = controlledFetcher<string>()
    const errors = vi.spyOn(console, 'error')
    function View() {
      const q = useCachedQuery({ key: ['slow'], fetcher })
      return <p>{q.data ?? '-'}</p>
    }
    const view = renderWith(cache, <View />)
    await settle()
    view.unmount()
    await settle()
    expect(call(0).ctx.signal.aborted).toBe(true)
    call(0).resolve('late')
    await settle()
    expect(errors).not.toHaveBeenCalled()
    expect(cache.get(['slow'])?.data).toBeUndefined()
  })

  it('switches to a new cache when the provider gets one', async () => {
    const other = testCache()
    other.set(['who'], 'other cache')
    cache.set(['who'], 'first cache')
    const fetcher = vi.fn(async () => 'fetched')
    function View() {
      const q = useCachedQuery({ key: ['who'], fetcher, staleTime: 60_000 })
      return <p>{q.data ?? '-'}</p>
    }
    const view = render(
      <CacheProvider cache={cache}>
        <View />
      </CacheProvider>,
    )
    expect(screen.getByText('first cache')).toBeTruthy()
    view.rerender(
      <CacheProvider cache={other}>
        <View />
      </CacheProvider>,
    )
    expect(screen.getByText('other cache')).toBeTruthy()
    other.set(['who'], 'other cache, updated')
    await settle()
    expect(screen.getByText('other cache, updated')).toBeTruthy()
    other.clear()
  })
})

describe('a select that throws', () => {
  class Boundary extends Component<{ children: ReactNode }, { failed: boolean }> {
    override state = { failed: false }
    static getDerivedStateFromError() {
      return { failed: true }
    }
    override render() {
      return this.state.failed ? <p>boundary</p> : this.props.children
    }
  }
  const select = (data: string) => {
    if (data === 'bad') throw new Error('select failed')
    return data.toUpperCase()
  }
  function View({ id }: { id: number }) {
    const q = useCachedQuery({ key: ['k', id], fetcher: async () => 'x', staleTime: 60_000, select })
    return <p>{`view:${id}:${q.status}:${q.data}`}</p>
  }
  const ui = (id: number) => (
    <CacheProvider cache={cache}>
      <Boundary>
        <View id={id} />
      </Boundary>
    </CacheProvider>
  )
  // React logs the error a boundary caught; these tests expect it.
  const quiet = { onCaughtError: () => {}, onRecoverableError: () => {} }

  it("reaches the error boundary, and never shows the previous key's data for the new key", async () => {
    cache.set(['k', 1], 'one')
    cache.set(['k', 2], 'bad')
    const view = render(ui(1), quiet)
    expect(screen.getByText('view:1:success:ONE')).toBeTruthy()
    view.rerender(ui(2))
    await settle()
    expect(screen.queryByText(/view:/)).toBeNull()
    expect(screen.getByText('boundary')).toBeTruthy()
  })

  it('reaches the error boundary when new data makes it throw, and does not leave the old data on screen', async () => {
    cache.set(['k', 1], 'one')
    render(ui(1), quiet)
    act(() => cache.set(['k', 1], 'bad'))
    await settle()
    expect(screen.queryByText('view:1:success:ONE')).toBeNull()
    expect(screen.getByText('boundary')).toBeTruthy()
  })
})

describe('a key change in a render React does not commit', () => {

  it('keeps the shown key observed, and does not fetch the key of the discarded render', async () => {
    cache.set(['k', 1], 'one')
    const fetcher = vi.fn(async () => 'fetched')
    function View({ id }: { id: number }) {
      const q = useCachedQuery({ key: ['k', id], fetcher, staleTime: 60_000 })
      return <p>{`${id}:${q.data}`}</p>
    }
    const go = renderTransition(cache, View)
    // A transition to key 2 whose sibling suspends: React keeps key 1 on screen.
    await act(async () => go())
    await settle()
    expect(screen.getByText('1:one')).toBeTruthy()
    expect(fetcher).not.toHaveBeenCalled()
    act(() => cache.set(['k', 1], 'uno'))
    await settle()
    expect(screen.getByText('1:uno')).toBeTruthy()
  })

  it("shows the shown key's data landing even when the two keys' states look alike (both pending)", async () => {
    const { fetcher, call } = controlledFetcher<string>()
    function View({ id }: { id: number }) {
      const q = useCachedQuery({ key: ['k', id], fetcher, staleTime: 60_000, enabled: id === 1 })
      return <p>{`${id}:${q.status}:${q.data ?? '-'}`}</p>
    }
    const go = renderTransition(cache, View)
    await settle()
    expect(screen.getByText('1:pending:-')).toBeTruthy()
    await act(async () => go())
    await settle()
    expect(screen.getByText('1:pending:-')).toBeTruthy()
    call(0).resolve('one')
    await settle()
    expect(screen.getByText('1:success:one')).toBeTruthy()
  })

  it('refetch() refetches the shown key, not the key of the render React has not committed', async () => {
    cache.set(['k', 1], 'one')
    const fetcher = vi.fn(async ({ key }: FetchContext) => `fetched ${String(key[1])}`)
    let refetch!: () => Promise<string>
    function View({ id }: { id: number }) {
      const q = useCachedQuery({ key: ['k', id], fetcher, staleTime: 60_000 })
      refetch = q.refetch
      return <p>{`${id}:${q.data}`}</p>
    }
    const go = renderTransition(cache, View)
    await act(async () => go())
    await settle()
    expect(screen.getByText('1:one')).toBeTruthy()
    // A refresh button on the page still shown, while the transition is held.
    let answer: string | undefined
    await act(async () => {
      answer = await refetch()
    })
    await settle()
    expect(fetcher.mock.calls.map(([ctx]) => ctx.key)).toEqual([['k', 1]])
    expect(answer).toBe('fetched 1')
    expect(screen.getByText('1:fetched 1')).toBeTruthy()
  })

  it("shows a write to the shown key even when the other key selects the same value", async () => {
    cache.set(['k', 1], 'same')
    cache.set(['k', 2], 'same')
    const fetcher = vi.fn(async () => 'fetched')
    function View({ id }: { id: number }) {
      const q = useCachedQuery({ key: ['k', id], fetcher, staleTime: 60_000 })
      return <p>{`${id}:${q.data}`}</p>
    }
    const go = renderTransition(cache, View)
    await act(async () => go())
    await settle()
    expect(screen.getByText('1:same')).toBeTruthy()
    act(() => cache.set(['k', 1], 'changed'))
    await settle()
    expect(screen.getByText('1:changed')).toBeTruthy()
  })
})

describe('cache.clear() while queries are mounted (a logout)', () => {
  it('takes the old data off screen at once, refetches, and later writes and invalidations reach the query', async () => {
    const { fetcher, call } = controlledFetcher<string>()
    function View() {
      const q = useCachedQuery({ key: ['me'], fetcher, staleTime: 60_000 })
      return <p>{`${q.status}:${q.data ?? '-'}:${q.isFetching}`}</p>
    }
    renderWith(cache, <View />)
    await settle()
    call(0).resolve('ada')
    await settle()
    expect(screen.getByText('success:ada:false')).toBeTruthy()

    act(() => cache.clear())
    await settle()
    expect(screen.getByText('pending:-:true')).toBeTruthy()
    expect(fetcher).toHaveBeenCalledTimes(2)
    call(1).resolve('bob')
    await settle()
    expect(screen.getByText('success:bob:false')).toBeTruthy()

    act(() => cache.set(['me'], 'bob, renamed'))
    await settle()
    expect(screen.getByText('success:bob, renamed:false')).toBeTruthy()
    act(() => void cache.invalidate({ key: ['me'] }))
    await settle()
    expect(fetcher).toHaveBeenCalledTimes(3)
  })

  it('leaves a disabled query pending without fetching, and every observer of one key shares one refetch', async () => {
    const { fetcher, call } = controlledFetcher<string>()
    function View({ enabled }: { enabled: boolean }) {
      const q = useCachedQuery({ key: ['me'], fetcher, enabled, staleTime: 60_000 })
      return <p>{`${enabled}:${q.status}:${q.data ?? '-'}`}</p>
    }
    renderWith(cache, (
      <>
        <View enabled />
        <View enabled />
      </>
    ))
    await settle()
    call(0).resolve('ada')
    await settle()
    expect(screen.getAllByText('true:success:ada')).toHaveLength(2)
    act(() => cache.clear())
    await settle()
    expect(screen.getAllByText('true:pending:-')).toHaveLength(2)
    expect(fetcher).toHaveBeenCalledTimes(2)

    cache.set(['solo'], 'kept')
    const { fetcher: never } = controlledFetcher<string>()
    function Disabled() {
      const q = useCachedQuery({ key: ['solo'], fetcher: never, enabled: false })
      return <p>{`solo:${q.status}:${q.data ?? '-'}`}</p>
    }
    renderWith(cache, <Disabled />)
    expect(screen.getByText('solo:success:kept')).toBeTruthy()
    act(() => cache.clear())
    await settle()
    expect(screen.getByText('solo:pending:-')).toBeTruthy()
    expect(never).not.toHaveBeenCalled()
  })

  it('during a transition React holds, refetches the key on screen, not the key of the held render', async () => {
    cache.set(['k', 1], 'one')
    const fetcher = vi.fn(async ({ key }: FetchContext) => `fetched ${String(key[1])}`)
    function View({ id }: { id: number }) {
      const q = useCachedQuery({ key: ['k', id], fetcher, staleTime: 60_000 })
      return <p>{`${id}:${q.status}:${q.data ?? '-'}`}</p>
    }
    // A navigation to key 2 whose page suspends: key 1 stays on screen.
    const go = renderTransition(cache, View)
    await act(async () => go())
    await settle()
    expect(screen.getByText('1:success:one')).toBeTruthy()
    act(() => cache.clear())
    await settle()
    expect(fetcher.mock.calls.map(([ctx]) => ctx.key)).toEqual([['k', 1]])
    expect(screen.getByText('1:success:fetched 1')).toBeTruthy()
    // Still observed: a later write to the key on screen shows.
    act(() => cache.set(['k', 1], 'uno'))
    await settle()
    expect(screen.getByText('1:success:uno')).toBeTruthy()
  })
})

describe('two hooks on one key with different staleTime (a React review)', () => {
  it('do not re-render each other forever when both read isStale', async () => {
    cache.set(['k'], 'cached')
    await settle(100)
    const renders = { a: 0, b: 0 }
    function View({ name, staleTime }: { name: 'a' | 'b'; staleTime: number }) {
      renders[name]++
      const q = useCachedQuery({ key: ['k'], fetcher: () => new Promise<string>(() => {}), staleTime })
      return <p>{`${name}:${q.isStale}`}</p>
    }
    renderWith(
      cache,
      <>
        <View name="a" staleTime={60_000} />
        <View name="b" staleTime={0} />
      </>,
    )
    await settle()
    const before = renders.a + renders.b
    for (let i = 0; i < 20; i++) await settle(1)
    const after = renders.a + renders.b
    // Nothing changes with time here (no fetch lands, no timer is due):
    // the two components must settle down.
    expect(after - before).toBe(0)
    expect(screen.getByText(/^a:/)).toBeTruthy()
  })
})
