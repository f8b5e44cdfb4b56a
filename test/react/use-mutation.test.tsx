import { act, screen } from '@testing-library/react'
import { startTransition, useEffect, useState } from 'react'
import { describe, expect, it, vi } from 'vitest'
import type { Cache } from '../../src/core/types'
import { useCachedQuery } from '../../src/react/use-cached-query'
import { useMutation, type UseMutationOptions, type UseMutationResult } from '../../src/react/use-mutation'
import { cacheEachTest, controlledFetcher, track } from '../helpers/core'
import { deferred, type Deferred } from '../helpers/deferred'
import { renderWith, settle, testCache } from './helpers'

let cache: Cache
cacheEachTest(testCache, (c) => (cache = c))

/** Mounts a component that owns one useMutation and hands the result out. */
function mountMutation<TData, TVars>(options: UseMutationOptions<TData, TVars>, segment?: string, strict?: boolean) {
  const seen: string[] = []
  const handle = { current: undefined as unknown as UseMutationResult<TData, TVars> }
  function View() {
    const m = useMutation(options)
    handle.current = m
    seen.push(m.status)
    return <p>{`mutation:${m.status}`}</p>
  }
  const view = renderWith(cache, <View />, { segment, strict: strict === true })
  return { handle, seen, view }
}

/** A mutationFn whose every call waits for the test to answer it. */
function controlledMutation<TData, TVars>() {
  const calls: (Deferred<TData> & { vars: TVars })[] = []
  const fn = vi.fn((vars: TVars) => {
    const call = { ...deferred<TData>(), vars }
    calls.push(call)
    return call.promise
  })
  return { fn, calls }
}

describe('useMutation', () => {
  it('moves idle → pending → success, exposing data, and calls onSuccess', async () => {
    const { fn, calls } = controlledMutation<string, number>()
    const onSuccess = vi.fn()
    const { handle, seen } = mountMutation({ mutationFn: fn, onSuccess })
    expect(screen.getByText('mutation:idle')).toBeTruthy()
    act(() => handle.current.mutate(7))
    expect(screen.getByText('mutation:pending')).toBeTruthy()
    expect(fn).toHaveBeenCalledWith(7)
    await act(async () => calls[0]!.resolve('saved 7'))
    expect(screen.getByText('mutation:success')).toBeTruthy()
    expect(handle.current.data).toBe('saved 7')
    expect(handle.current.error).toBeUndefined()
    expect(onSuccess).toHaveBeenCalledWith('saved 7', 7)
    expect(seen.filter((s, i) => s !== seen[i - 1])).toEqual(['idle', 'pending', 'success'])
  })

  it('moves to error, calls onError, and mutate() swallows the rejection', async () => {
    const { fn, calls } = controlledMutation<string, number>()
    const onError = vi.fn()
    const unhandled = vi.fn()
    process.on('unhandledRejection', unhandled)
    try {
      const { handle } = mountMutation({ mutationFn: fn, onError })
      act(() => handle.current.mutate(1))
      await act(async () => calls[0]!.reject(new Error('nope')))
      await settle()
      expect(screen.getByText('mutation:error')).toBeTruthy()
      expect(handle.current.error?.message).toBe('nope')
      expect(onError).toHaveBeenCalledWith(expect.objectContaining({ message: 'nope' }), 1)
      expect(unhandled).not.toHaveBeenCalled()
    } finally {
      process.off('unhandledRejection', unhandled)
    }
  })

  it('mutateAsync rejects with an Error, wrapping a non-Error', async () => {
    const { handle } = mountMutation({ mutationFn: (_: void) => Promise.reject('plain string') })
    let caught: unknown
    await act(async () => {
      caught = await handle.current.mutateAsync().catch((e: unknown) => e)
    })
    expect(caught).toBeInstanceOf(Error)
    expect((caught as Error).message).toBe('plain string')
    expect(handle.current.status).toBe('error')
  })

  it('wraps any thrown value in an Error that keeps its message and status, and never stays pending', async () => {
    const onError = vi.fn()
    const thrown: unknown[] = [{ status: 409, message: 'Title taken' }, Object.create(null), undefined]
    const { handle } = mountMutation({
      mutationFn: async (n: number) => {
        throw thrown[n]
      },
      onError,
    })
    const caught: unknown[] = []
    for (const n of [0, 1, 2]) {
      await act(async () => {
        caught.push(await handle.current.mutateAsync(n).catch((e: unknown) => e))
      })
      expect(handle.current.status).toBe('error')
      expect(handle.current.error).toBe(caught[n])
      expect(caught[n]).toBeInstanceOf(Error)
      expect((caught[n] as Error).cause).toBe(thrown[n])
    }
    // An error body thrown as is (`throw await res.json()`) keeps its message and status.
    expect(caught[0]).toMatchObject({ message: 'Title taken', status: 409 })
    // An object that has no string form (no prototype) is described, not a TypeError.
    expect((caught[1] as Error).message).toBe('{}')
    expect((caught[2] as Error).message).toBe('undefined')
    expect(onError.mock.calls.map(([error, n]) => [error, n])).toEqual(caught.map((e, n) => [e, n]))
  })

  it('reset() goes back to idle, and a call still in flight no longer updates the state', async () => {
    const { fn, calls } = controlledMutation<string, number>()
    const { handle } = mountMutation({ mutationFn: fn })
    act(() => handle.current.mutate(1))
    act(() => handle.current.reset())
    expect(screen.getByText('mutation:idle')).toBeTruthy()
    await act(async () => calls[0]!.resolve('late'))
    expect(screen.getByText('mutation:idle')).toBeTruthy()
    expect(handle.current.data).toBeUndefined()
  })

  it('calls onSuccess / onError once per call, with its vars, even after reset() or an unmount', async () => {
    const { fn, calls } = controlledMutation<string, number>()
    const onSuccess = vi.fn()
    const onError = vi.fn()
    const consoleError = vi.spyOn(console, 'error')
    const { handle, view } = mountMutation({ mutationFn: fn, onSuccess, onError })
    act(() => handle.current.mutate(1))
    act(() => handle.current.mutate(2))
    act(() => handle.current.reset())
    await act(async () => calls[0]!.reject(new Error('first')))
    expect(handle.current.status).toBe('idle')
    view.unmount()
    await act(async () => calls[1]!.resolve('second'))
    await settle()
    expect(onError.mock.calls).toEqual([[expect.objectContaining({ message: 'first' }), 1]])
    expect(onSuccess.mock.calls).toEqual([['second', 2]])
    expect(consoleError).not.toHaveBeenCalled()
  })

  it('under StrictMode: one optimistic change, one onSuccess, one invalidation', async () => {
    cache = testCache({ staleTime: 60_000 })
    cache.set(['post'], { likes: 1 })
    const invalidate = vi.spyOn(cache, 'invalidate')
    const { fn, calls } = controlledMutation<string, number>()
    const onSuccess = vi.fn()
    const { handle, seen } = mountMutation(
      {
        mutationFn: fn,
        onSuccess,
        invalidates: [{ key: ['post'] }],
        optimistic: { key: ['post'], update: (old, by) => ({ likes: (old as { likes: number }).likes + by }) },
      },
      undefined,
      true,
    )
    act(() => handle.current.mutate(1))
    expect(cache.get(['post'])?.data).toEqual({ likes: 2 })
    await act(async () => calls[0]!.resolve('ok'))
    expect(fn).toHaveBeenCalledTimes(1)
    expect(onSuccess).toHaveBeenCalledTimes(1)
    expect(invalidate).toHaveBeenCalledTimes(1)
    expect(cache.get(['post'])).toMatchObject({ data: { likes: 2 }, isStale: true })
    expect(seen.filter((s, i) => s !== seen[i - 1])).toEqual(['idle', 'pending', 'success'])
  })

  it('the state follows the latest call when an earlier one lands late', async () => {
    const { fn, calls } = controlledMutation<string, number>()
    const { handle } = mountMutation({ mutationFn: fn })
    act(() => handle.current.mutate(1))
    act(() => handle.current.mutate(2))
    await act(async () => calls[1]!.resolve('second'))
    await act(async () => calls[0]!.reject(new Error('first failed late')))
    expect(screen.getByText('mutation:success')).toBeTruthy()
    expect(handle.current.data).toBe('second')
  })

  it('keeps mutate, mutateAsync and reset stable across renders', () => {
    const seen = new Set<unknown>()
    let rerender!: () => void
    function Owner() {
      const [n, setN] = useState(0)
      rerender = () => setN(n + 1)
      const m = useMutation({ mutationFn: async (x: number) => x + n })
      seen.add(m.mutate).add(m.mutateAsync).add(m.reset)
      return null
    }
    renderWith(cache, <Owner />)
    act(() => rerender())
    act(() => rerender())
    expect(seen.size).toBe(3)
  })

  it('a call uses the options of the latest render', async () => {
    const first = vi.fn(async (_: void) => 'first')
    const second = vi.fn(async (_: void) => 'second')
    let handle!: UseMutationResult<string, void>
    function Owner({ fn }: { fn: (v: void) => Promise<string> }) {
      handle = useMutation({ mutationFn: fn })
      return null
    }
    const view = renderWith(cache, <Owner fn={first} />)
    view.rerender(<Owner fn={second} />)
    await act(async () => {
      await handle.mutateAsync()
    })
    expect(first).not.toHaveBeenCalled()
    expect(second).toHaveBeenCalledTimes(1)
  })

  it('a call uses the options of the committed render, not of one React has not shown (a held transition)', async () => {
    const saved: number[] = []
    let handle!: UseMutationResult<string, void>
    let open!: (id: number) => void
    const never = new Promise<never>(() => {})
    function Comments({ id }: { id: number }) {
      if (id === 2) throw never // post 2 is still loading: the transition is held
      return <p>{`post:${id}`}</p>
    }
    function Post() {
      const [id, setId] = useState(1)
      open = (next) => startTransition(() => setId(next))
      const m = useMutation({
        mutationFn: async (_: void) => {
          saved.push(id)
          return 'liked'
        },
        optimistic: { key: ['likes', id], update: (old) => (old as number) + 1 },
      })
      // What an event handler of the shown UI holds.
      useEffect(() => {
        handle = m
      })
      return <Comments id={id} />
    }
    cache.set(['likes', 1], 0)
    cache.set(['likes', 2], 0)
    renderWith(cache, <Post />)
    act(() => open(2))
    await settle()
    expect(screen.getByText('post:1')).toBeTruthy()
    // The user likes the post on screen, while post 2 renders in the background.
    await act(async () => {
      await handle.mutateAsync()
    })
    expect(saved).toEqual([1])
    expect(cache.get(['likes', 1])?.data).toBe(1)
    expect(cache.get(['likes', 2])?.data).toBe(0)
  })

  it('invalidates its targets on success: an array', async () => {
    const { fetcher, call } = controlledFetcher<string>()
    function Product() {
      const q = useCachedQuery({ key: ['product', 42], fetcher, tags: ['product:42'] })
      return <p>{`product:${q.data ?? '-'}`}</p>
    }
    renderWith(cache, <Product />)
    await settle()
    call(0).resolve('chair $10')
    await settle()

    const { handle } = mountMutation({
      mutationFn: async (price: number) => price,
      invalidates: [{ tags: ['product:42'] }],
    })
    await act(async () => {
      await handle.current.mutateAsync(12)
    })
    // Marked stale when mutateAsync resolved; the refetch goes on in the background.
    expect(cache.get(['product', 42])?.isStale).toBe(true)
    await settle()
    call(1).resolve('chair $12')
    await settle()
    expect(screen.getByText('product:chair $12')).toBeTruthy()
  })

  it('invalidates its targets on success: a function of the result and vars', async () => {
    cache = testCache({ staleTime: 60_000 })
    cache.set(['order', 1], 'open')
    cache.set(['order', 2], 'open')
    const targets = vi.fn((data: { id: number }, vars: string) => {
      void vars
      return [{ key: ['order', data.id], exact: true }]
    })
    const { handle } = mountMutation({ mutationFn: async (_: string) => ({ id: 2 }), invalidates: targets })
    let result: { id: number } | undefined
    await act(async () => {
      result = await handle.current.mutateAsync('close')
    })
    expect(result).toEqual({ id: 2 })
    expect(targets).toHaveBeenCalledWith({ id: 2 }, 'close')
    expect(cache.get(['order', 2])?.isStale).toBe(true)
    expect(cache.get(['order', 1])?.isStale).toBe(false)
  })

  it('mutateAsync resolves once the invalidations are marked, before their refetches settle', async () => {
    const { fetcher, call } = controlledFetcher<string>()
    function Product() {
      const q = useCachedQuery({ key: ['product', 1], fetcher, staleTime: 60_000 })
      return <p>{`product:${q.data ?? '-'}`}</p>
    }
    renderWith(cache, <Product />)
    await settle()
    call(0).resolve('v1')
    await settle()
    expect(cache.get(['product', 1])?.isStale).toBe(false)

    const { handle } = mountMutation({
      mutationFn: async (_: void) => 'ok',
      invalidates: [{ key: ['product'] }],
    })
    const done = track(handle.current.mutateAsync())
    await act(async () => {
      await vi.advanceTimersByTimeAsync(0)
    })
    expect(done.settled).toBe(true)
    expect(done.value).toBe('ok')
    expect(cache.get(['product', 1])?.isStale).toBe(true)
    // The refetch it triggered is still in flight.
    expect(cache.get(['product', 1])?.isFetching).toBe(true)
    call(1).resolve('v2')
    await settle()
    expect(screen.getByText('product:v2')).toBeTruthy()
  })

  it('does not invalidate when the mutation fails', async () => {
    cache.set(['product', 1], 'v1')
    const invalidate = vi.spyOn(cache, 'invalidate')
    const { handle } = mountMutation({
      mutationFn: async (_: void) => {
        throw new Error('rejected')
      },
      invalidates: [{ key: ['product'] }],
    })
    await act(async () => {
      await handle.current.mutateAsync().catch(() => {})
    })
    expect(invalidate).not.toHaveBeenCalled()
  })
})

describe('useMutation: optimistic updates', () => {
  interface Post {
    likes: number
    title: string
  }
  const like = {
    key: ['post', 1],
    update: (old: unknown, by: number) => ({ ...(old as Post), likes: (old as Post).likes + by }),
  }

  it('applies the update before the request, and keeps it on success', async () => {
    cache.set<Post>(['post', 1], { likes: 1, title: 'a' })
    let seenAtCall: unknown
    const { fn, calls } = controlledMutation<string, number>()
    const { handle } = mountMutation({
      mutationFn: (by: number) => {
        seenAtCall = cache.get(['post', 1])?.data
        return fn(by)
      },
      optimistic: like,
    })
    act(() => handle.current.mutate(1))
    expect(seenAtCall).toEqual({ likes: 2, title: 'a' })
    await act(async () => calls[0]!.resolve('ok'))
    expect(cache.get(['post', 1])?.data).toEqual({ likes: 2, title: 'a' })
  })

  it('rolls back to the exact previous value on error', async () => {
    const original = { likes: 1, title: 'a' }
    cache.set<Post>(['post', 1], original)
    const { fn, calls } = controlledMutation<string, number>()
    const { handle } = mountMutation({ mutationFn: fn, optimistic: like })
    act(() => handle.current.mutate(1))
    expect(cache.get(['post', 1])?.data).toEqual({ likes: 2, title: 'a' })
    await act(async () => calls[0]!.reject(new Error('offline')))
    expect(cache.get(['post', 1])?.data).toBe(original)
  })

  it('a rendered query shows the optimistic value, then the rollback', async () => {
    cache.set<Post>(['post', 1], { likes: 1, title: 'a' })
    function Likes() {
      const q = useCachedQuery<Post>({ key: ['post', 1], fetcher: async () => ({ likes: 99, title: 'x' }), staleTime: 60_000 })
      return <p>{`likes:${q.data?.likes}`}</p>
    }
    renderWith(cache, <Likes />)
    const { fn, calls } = controlledMutation<string, number>()
    const { handle } = mountMutation({ mutationFn: fn, optimistic: like })
    act(() => handle.current.mutate(1))
    await settle()
    expect(screen.getByText('likes:2')).toBeTruthy()
    await act(async () => calls[0]!.reject(new Error('offline')))
    await settle()
    expect(screen.getByText('likes:1')).toBeTruthy()
  })

  it("undoes only its own change when another optimistic update landed in between", async () => {
    cache.set<Post>(['post', 1], { likes: 1, title: 'a' })
    const { fn, calls } = controlledMutation<string, number>()
    const { handle } = mountMutation({ mutationFn: fn, optimistic: like })
    act(() => handle.current.mutate(1)) // A: +1
    act(() => handle.current.mutate(10)) // B: +10
    expect(cache.get<Post>(['post', 1])?.data?.likes).toBe(12)
    await act(async () => calls[0]!.reject(new Error('A failed')))
    expect(cache.get<Post>(['post', 1])?.data?.likes).toBe(11) // B's +10 stays
    await act(async () => calls[1]!.reject(new Error('B failed')))
    expect(cache.get<Post>(['post', 1])?.data).toEqual({ likes: 1, title: 'a' })
  })

  it('keeps a succeeded layer when an earlier one rolls back', async () => {
    cache.set<Post>(['post', 1], { likes: 1, title: 'a' })
    const { fn, calls } = controlledMutation<string, number>()
    const { handle } = mountMutation({ mutationFn: fn, optimistic: like })
    act(() => handle.current.mutate(1))
    act(() => handle.current.mutate(10))
    await act(async () => calls[1]!.resolve('B ok'))
    await act(async () => calls[0]!.reject(new Error('A failed')))
    expect(cache.get<Post>(['post', 1])?.data?.likes).toBe(11)
  })

  it('undoes only its own change when a plain set landed in between', async () => {
    cache.set<Post>(['post', 1], { likes: 1, title: 'a' })
    const { fn, calls } = controlledMutation<string, number>()
    const { handle } = mountMutation({ mutationFn: fn, optimistic: like })
    act(() => handle.current.mutate(1))
    cache.set<Post>(['post', 1], (old) => ({ ...old!, title: 'b' }))
    await act(async () => calls[0]!.reject(new Error('failed')))
    expect(cache.get(['post', 1])?.data).toEqual({ likes: 1, title: 'b' })
  })

  it('leaves server data alone when a refetch replaced the optimistic value', async () => {
    cache.set<Post>(['post', 1], { likes: 1, title: 'a' })
    const { fn, calls } = controlledMutation<string, number>()
    const { handle } = mountMutation({ mutationFn: fn, optimistic: like })
    act(() => handle.current.mutate(1))
    const fromServer = { likes: 5, title: 'a' }
    cache.set<Post>(['post', 1], fromServer)
    await act(async () => calls[0]!.reject(new Error('failed')))
    expect(cache.get(['post', 1])?.data).toBe(fromServer)
  })

  it('rolls back a list insert exactly while another insert is pending', async () => {
    cache.set<string[]>(['todos'], ['a'])
    const { fn, calls } = controlledMutation<string, string>()
    const { handle } = mountMutation({
      mutationFn: fn,
      optimistic: { key: ['todos'], update: (old: unknown, todo: string) => [...(old as string[]), todo] },
    })
    act(() => handle.current.mutate('b'))
    act(() => handle.current.mutate('c'))
    expect(cache.get(['todos'])?.data).toEqual(['a', 'b', 'c'])
    await act(async () => calls[0]!.reject(new Error('b failed')))
    expect(cache.get(['todos'])?.data).toEqual(['a', 'c'])
    await act(async () => calls[1]!.resolve('c ok'))
    expect(cache.get(['todos'])?.data).toEqual(['a', 'c'])
  })

  it("uses the provider's segment unless the optimistic option names one", async () => {
    cache.set<Post>(['post', 1], { likes: 1, title: 'a' }, { segment: 'arm-b' })
    cache.set<Post>(['post', 1], { likes: 1, title: 'a' })
    const { handle } = mountMutation({ mutationFn: async (_: number) => 'ok', optimistic: like }, 'arm-b')
    await act(async () => {
      await handle.current.mutateAsync(1)
    })
    expect(cache.get<Post>(['post', 1], 'arm-b')?.data?.likes).toBe(2)
    expect(cache.get<Post>(['post', 1])?.data?.likes).toBe(1)

    const other = mountMutation(
      { mutationFn: async (_: number) => 'ok', optimistic: { ...like, segment: 'tenant-9' } },
      'arm-b',
    )
    cache.set<Post>(['post', 1], { likes: 7, title: 'a' }, { segment: 'tenant-9' })
    await act(async () => {
      await other.handle.current.mutateAsync(1)
    })
    expect(cache.get<Post>(['post', 1], 'tenant-9')?.data?.likes).toBe(8)
    expect(cache.get<Post>(['post', 1], 'arm-b')?.data?.likes).toBe(2)
  })

  it('a fetch that started before the optimistic update and lands late does not overwrite it', async () => {
    cache.set<Post>(['post', 1], { likes: 1, title: 'a' })
    const { fetcher, call } = controlledFetcher<Post>()
    function Likes() {
      const q = useCachedQuery<Post>({ key: ['post', 1], fetcher })
      return <p>{`likes:${q.data?.likes}`}</p>
    }
    renderWith(cache, <Likes />)
    await settle() // stale at once (staleTime 0): a refetch is in flight
    expect(fetcher).toHaveBeenCalledTimes(1)
    const { fn, calls } = controlledMutation<string, number>()
    const { handle } = mountMutation({ mutationFn: fn, optimistic: like })
    act(() => handle.current.mutate(1))
    call(0).resolve({ likes: 1, title: 'a (old read)' })
    await settle()
    expect(screen.getByText('likes:2')).toBeTruthy()
    await act(async () => calls[0]!.reject(new Error('failed')))
    await settle()
    expect(screen.getByText('likes:1')).toBeTruthy()
  })

  /**
   * A mounted list on ['todos'] loaded with ['a'], then invalidated (another
   * tab added 'b' and a server event said so: its refetch is in flight), and
   * a mutation that adds a todo optimistically.
   */
  async function invalidatedTodos() {
    const list = controlledFetcher<string[]>()
    const mutation = controlledMutation<string, string>()
    function Todos() {
      const q = useCachedQuery({ key: ['todos'], fetcher: list.fetcher, staleTime: 60_000 })
      return <p>{`todos:${(q.data ?? []).join(',')}`}</p>
    }
    renderWith(cache, <Todos />)
    await settle()
    await act(async () => list.call(0).resolve(['a']))
    act(() => void cache.invalidate({ key: ['todos'] }))
    const { handle } = mountMutation({
      mutationFn: mutation.fn,
      optimistic: { key: ['todos'], update: (old: unknown, todo: string) => [...(old as string[]), todo] },
    })
    return { list, calls: mutation.calls, handle }
  }

  for (const outcome of ['fails', 'succeeds'] as const) {
    it(`an invalidation its write dropped is not lost: the entry refetches once the mutation ${outcome}`, async () => {
      const { list, calls, handle } = await invalidatedTodos()
      await settle()
      expect(list.calls).toHaveLength(2)
      act(() => handle.current.mutate('c'))
      await act(async () => list.call(1).resolve(['a', 'b'])) // dropped: it started before the optimistic write
      await settle()
      expect(screen.getByText('todos:a,c')).toBeTruthy()
      await act(async () => (outcome === 'fails' ? calls[0]!.reject(new Error('offline')) : calls[0]!.resolve('ok')))
      await settle()
      // The invalidation still stands: the list refetches (once) and shows the server's answer.
      expect(list.calls).toHaveLength(3)
      const server = outcome === 'fails' ? ['a', 'b'] : ['a', 'b', 'c']
      await act(async () => list.call(2).resolve(server))
      await settle()
      expect(screen.getByText(`todos:${server.join(',')}`)).toBeTruthy()
      expect(list.calls).toHaveLength(3)
    })
  }

  it('owes nothing to an entry that clear() removed meanwhile (the new one fetched already)', async () => {
    const { list, calls, handle } = await invalidatedTodos()
    act(() => handle.current.mutate('c'))
    act(() => cache.clear())
    await settle()
    expect(list.calls).toHaveLength(3) // the new entry's fetch
    await act(async () => calls[0]!.resolve('ok'))
    await act(async () => list.call(2).resolve(['a', 'b', 'c']))
    await settle()
    expect(screen.getByText('todos:a,b,c')).toBeTruthy()
    expect(list.calls).toHaveLength(3)
  })

  it("keeps the model version that produced the data: a new version still refetches the entry", async () => {
    cache = testCache({ staleTime: 60_000, models: { recommender: 'r3' } })
    const recs = controlledFetcher<string[]>()
    function Recs() {
      const q = useCachedQuery({ key: ['recs'], fetcher: recs.fetcher, model: 'recommender' })
      return <p>{`recs:${(q.data ?? []).join(',')}`}</p>
    }
    renderWith(cache, <Recs />)
    await settle()
    await act(async () => recs.call(0).resolve(['lamp', 'sofa']))
    const { handle } = mountMutation({
      mutationFn: async (_: string) => 'hidden',
      optimistic: { key: ['recs'], update: (old: unknown, item: string) => (old as string[]).filter((x) => x !== item) },
    })
    await act(async () => handle.current.mutate('lamp'))
    expect(cache.get(['recs'])).toMatchObject({ data: ['sofa'], model: 'recommender', modelVersion: 'r3' })
    // The list is still r3's answer (with a local change): announcing r4 refetches it.
    act(() => cache.setModelVersion('recommender', 'r4', { policy: 'immediate' }))
    await settle()
    expect(recs.calls).toHaveLength(2)
  })

  for (const invalidates of [true, false]) {
    it(`a refetch in flight when the mutation succeeds (it read before the server took the change) never shows the old value${invalidates ? '' : ', also without invalidates'}`, async () => {
      // The server: 1 like until the mutation is committed.
      cache.set<Post>(['post', 1], { likes: 1, title: 'a' })
      const { fetcher, call } = controlledFetcher<Post>()
      const shown: number[] = []
      function Likes() {
        const q = useCachedQuery<Post>({ key: ['post', 1], fetcher, staleTime: 60_000 })
        if (shown.at(-1) !== q.data?.likes) shown.push(q.data?.likes ?? -1)
        return null
      }
      renderWith(cache, <Likes />)
      const { fn, calls } = controlledMutation<string, number>()
      const { handle } = mountMutation({ mutationFn: fn, optimistic: like, invalidates: invalidates ? [{ key: ['post', 1] }] : [] })
      act(() => handle.current.mutate(1))
      await settle()
      // Another change to the post (a server event) refetches it while the like is on its way.
      act(() => void cache.invalidate({ key: ['post', 1] }))
      await settle()
      expect(fetcher).toHaveBeenCalledTimes(1)
      await act(async () => calls[0]!.resolve('liked')) // the server took the like
      await settle()
      await act(async () => call(0).resolve({ likes: 1, title: 'a' })) // read before it did
      await settle()
      expect(cache.get<Post>(['post', 1])?.data?.likes).toBe(2)
      // Asked again, once: the answer now holds the like.
      expect(fetcher).toHaveBeenCalledTimes(2)
      await act(async () => call(1).resolve({ likes: 2, title: 'a' }))
      await settle()
      expect(cache.get(['post', 1])).toMatchObject({ data: { likes: 2, title: 'a' }, isStale: false, isFetching: false })
      expect(shown).toEqual([1, 2])
      expect(fetcher).toHaveBeenCalledTimes(2)
    })
  }

  it('the refetch its own invalidation starts reads after the server took the change: it lands, and is the only one', async () => {
    cache.set<Post>(['post', 1], { likes: 1, title: 'a' })
    const { fetcher, call } = controlledFetcher<Post>()
    function Likes() {
      useCachedQuery<Post>({ key: ['post', 1], fetcher, staleTime: 60_000 })
      return null
    }
    renderWith(cache, <Likes />)
    const { handle } = mountMutation({ mutationFn: async (_: number) => 'liked', optimistic: like, invalidates: [{ key: ['post', 1] }] })
    await act(async () => handle.current.mutate(1))
    await settle()
    expect(fetcher).toHaveBeenCalledTimes(1)
    await act(async () => call(0).resolve({ likes: 2, title: 'b' }))
    await settle()
    expect(cache.get(['post', 1])).toMatchObject({ data: { likes: 2, title: 'b' }, isStale: false, isFetching: false })
    expect(fetcher).toHaveBeenCalledTimes(1)
  })

  it('an entry invalidated while unobserved stays stale through an optimistic update', async () => {
    cache = testCache({ staleTime: 60_000 })
    cache.set(['todos'], ['a'])
    await act(() => cache.invalidate({ key: ['todos'] }))
    const { handle } = mountMutation({
      mutationFn: async (_: string) => 'ok',
      optimistic: { key: ['todos'], update: (old: unknown, todo: string) => [...(old as string[]), todo] },
    })
    await act(async () => handle.current.mutate('c'))
    expect(cache.get(['todos'])).toMatchObject({ data: ['a', 'c'], isStale: true })
  })

  it('rolls back after the component unmounted mid-request', async () => {
    const original = { likes: 1, title: 'a' }
    cache.set<Post>(['post', 1], original)
    const { fn, calls } = controlledMutation<string, number>()
    const { handle, view } = mountMutation({ mutationFn: fn, optimistic: like })
    act(() => handle.current.mutate(1))
    view.unmount()
    await act(async () => calls[0]!.reject(new Error('failed')))
    expect(cache.get(['post', 1])?.data).toBe(original)
  })
})

describe('useMutation when code around the mutation throws', () => {
  it('settles as failed, once, when `onSuccess` throws (not a success whose mutateAsync rejects)', async () => {
    const onError = vi.fn()
    const { handle } = mountMutation({
      mutationFn: async (_: void) => 'ok',
      onSuccess: () => {
        throw new Error('bug in onSuccess')
      },
      onError,
    })
    let rejected: unknown
    await act(async () => {
      rejected = await handle.current.mutateAsync().then(
        () => undefined,
        (e: unknown) => e,
      )
    })
    expect((rejected as Error | undefined)?.message).toBe('bug in onSuccess')
    expect(handle.current.status).toBe('error')
    expect(handle.current.error?.message).toBe('bug in onSuccess')
    expect(onError).toHaveBeenCalledTimes(1)
  })

  it('when `onSuccess` throws, keeps its optimistic change and its marked invalidations (the server took it)', async () => {
    cache = testCache({ staleTime: 60_000 })
    cache.set(['post'], { likes: 1 })
    const { handle } = mountMutation({
      mutationFn: async (_: void) => 'ok',
      optimistic: { key: ['post'], update: (old) => ({ likes: (old as { likes: number }).likes + 1 }) },
      invalidates: [{ key: ['post'] }],
      onSuccess: () => {
        throw new Error('bug in onSuccess')
      },
    })
    await act(async () => handle.current.mutate())
    expect(handle.current.status).toBe('error')
    expect(cache.get(['post'])).toMatchObject({ data: { likes: 2 }, isStale: true })
  })

  it('an `onError` that throws is reported to the cache, and the call still rejects with its own error', async () => {
    const reported = vi.fn()
    cache = testCache({ onError: reported })
    const unhandled = vi.fn()
    process.on('unhandledRejection', unhandled)
    try {
      const { handle } = mountMutation({
        mutationFn: async (_: void) => {
          throw new Error('server said no')
        },
        onError: () => {
          throw new Error('bug in onError')
        },
      })
      let rejected: unknown
      await act(async () => {
        rejected = await handle.current.mutateAsync().catch((e: unknown) => e)
      })
      expect((rejected as Error).message).toBe('server said no')
      expect(reported.mock.calls.map(([e]) => (e as Error).message)).toEqual(['bug in onError'])
      // mutate() never throws, but the bug is not lost.
      await act(async () => handle.current.mutate())
      await settle()
      expect(handle.current.error?.message).toBe('server said no')
      expect(reported).toHaveBeenCalledTimes(2)
      expect(unhandled).not.toHaveBeenCalled()
    } finally {
      process.off('unhandledRejection', unhandled)
    }
  })

  it('without a cache onError, a bug in `onError` or in a rollback goes to the console (not lost behind mutate())', async () => {
    // The default cache: no onError.
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {})
    interface Todo {
      id: number
      title: string
    }
    cache.set<Todo[]>(['todos'], [])
    const { calls, fn } = controlledMutation<string, Todo>()
    const { handle } = mountMutation({
      mutationFn: fn,
      onError: (_error, todo) => {
        if (todo.title === 'renamed') throw new Error('bug in onError')
      },
      optimistic: {
        key: ['todos'],
        // Adds a todo, or renames the one with its id (which must be there).
        update: (old, todo) => {
          const list = old as Todo[]
          if (todo.title !== 'renamed') return [...list, todo]
          const at = list.findIndex((t) => t.id === todo.id)
          if (at < 0) throw new Error(`no todo ${todo.id} to rename`)
          return list.map((t, i) => (i === at ? todo : t))
        },
      },
    })
    act(() => handle.current.mutate({ id: 1, title: 'new' }))
    act(() => handle.current.mutate({ id: 1, title: 'renamed' }))
    // Creating it fails: undoing that replays the rename over a list without the todo.
    await act(async () => calls[0]!.reject(new Error('create failed')))
    await act(async () => calls[1]!.reject(new Error('rename failed')))
    await settle()
    expect(handle.current.error?.message).toBe('rename failed')
    expect(cache.get(['todos'])?.data).toEqual([])
    expect(logged.mock.calls.map(([e]) => (e as Error).message)).toEqual(['no todo 1 to rename', 'bug in onError'])
  })

  it('awaits an async onSuccess / onError (as TanStack Query does): a rejection is a throw, never unhandled', async () => {
    const reported = vi.fn()
    cache = testCache({ onError: reported })
    const unhandled = vi.fn()
    process.on('unhandledRejection', unhandled)
    try {
      const navigated = deferred<void>()
      const onError = vi.fn(async () => {
        throw new Error('bug in async onError')
      })
      const { handle } = mountMutation({
        mutationFn: async (n: number) => n,
        onSuccess: async (n: number) => {
          await navigated.promise
          if (n === 2) throw new Error('bug in async onSuccess')
        },
        onError,
      })
      const first = track(handle.current.mutateAsync(1))
      await settle()
      expect(first.settled).toBe(false) // waits for onSuccess, as `await mutateAsync()` then navigate expects
      expect(handle.current.status).toBe('pending')
      await act(async () => navigated.resolve())
      await settle()
      expect(first).toMatchObject({ settled: true, value: 1 })
      expect(handle.current.status).toBe('success')

      await act(async () => handle.current.mutate(2))
      await settle()
      expect(handle.current.status).toBe('error')
      expect(handle.current.error?.message).toBe('bug in async onSuccess')
      expect(onError).toHaveBeenCalledTimes(1)
      expect(reported.mock.calls.map(([e]) => (e as Error).message)).toEqual(['bug in async onError'])
      expect(unhandled).not.toHaveBeenCalled()
    } finally {
      process.off('unhandledRejection', unhandled)
    }
  })

  it('settles as failed, once, when `invalidates` throws', async () => {
    const onError = vi.fn()
    const { handle } = mountMutation({
      mutationFn: async (_: void) => 'ok',
      onError,
      invalidates: () => {
        throw new Error('bad targets')
      },
    })
    await act(async () => handle.current.mutate())
    expect(handle.current.status).toBe('error')
    expect(handle.current.error?.message).toBe('bad targets')
    expect(onError).toHaveBeenCalledTimes(1)
  })

  it('when `invalidates` throws or names a bad target, rolls back its optimistic update and marks nothing', async () => {
    cache = testCache({ staleTime: 60_000 })
    const original = { likes: 1 }
    cache.set(['post'], original)
    cache.set(['feed'], ['post'])
    cache.set(['author'], 'ada')
    const cases: UseMutationOptions<string, void>['invalidates'][] = [
      () => {
        throw new Error('bad targets')
      },
      // The first target is fine: the call fails before either is marked.
      [{ key: ['feed'] }, { queryKey: ['author'] } as never],
      // A predicate that throws (say, on an entry with no data yet).
      [{ key: ['feed'] }, { key: ['author'], predicate: (entry) => (entry.data as { name: string[] }).name.length > 0 }],
    ]
    const messages: (string | undefined)[] = []
    for (const invalidates of cases) {
      const { handle, view } = mountMutation({
        mutationFn: async (_: void) => 'ok',
        optimistic: { key: ['post'], update: (old) => ({ likes: (old as { likes: number }).likes + 1 }) },
        invalidates,
      })
      await act(async () => handle.current.mutate())
      expect(handle.current.status).toBe('error')
      messages.push(handle.current.error?.message)
      expect(cache.get(['post'])?.data).toBe(original)
      expect(cache.get(['feed'])?.isStale).toBe(false)
      expect(cache.get(['author'])?.isStale).toBe(false)
      view.unmount()
    }
    expect(messages[0]).toBe('bad targets')
    expect(messages[1]).toMatch(/target\.queryKey is not a target field/)
    expect(messages[2]).toMatch(/length/)
  })

  it('settles as failed, leaving the entry removed and reporting nothing more, when a remove came before its rollback (where the updater would throw)', async () => {
    const reported = vi.fn()
    cache = testCache({ onError: reported })
    cache.set(['post'], { likes: 1 })
    const { calls, fn } = controlledMutation<void, void>()
    const onError = vi.fn()
    const { handle } = mountMutation({
      mutationFn: fn,
      onError,
      optimistic: { key: ['post'], update: (old) => ({ likes: (old as { likes: number }).likes + 1 }) },
    })
    act(() => handle.current.mutate())
    await act(() => cache.invalidate({ key: ['post'] }, { mode: 'remove' }))
    await act(async () => calls[0]!.reject(new Error('server said no')))
    expect(handle.current.status).toBe('error')
    expect(handle.current.error?.message).toBe('server said no')
    expect(onError).toHaveBeenCalledTimes(1)
    // The remove replaced the layer's change: the rollback has nothing to undo, so it
    // never re-runs the updater on the removed entry.
    expect(reported).not.toHaveBeenCalled()
    expect(cache.get(['post'])?.data).toBeUndefined()
  })

  it('an optimistic updater that throws leaves no layer for a later rollback to replay', async () => {
    const { handle } = mountMutation({
      mutationFn: async (_: void) => {
        throw new Error('server said no')
      },
      optimistic: { key: ['post'], update: (old) => ({ likes: (old as { likes: number }).likes + 1 }) },
    })
    await act(async () => handle.current.mutate()) // the post is not loaded: the updater throws
    expect(handle.current.status).toBe('error')
    cache.set(['post'], { likes: 1 })
    await act(async () => handle.current.mutate()) // applied, then rolled back
    expect(cache.get(['post'])?.data).toEqual({ likes: 1 })
  })

  it('an optimistic updater that throws fails the call before mutationFn runs, with its error', async () => {
    const mutationFn = vi.fn(async (_: void) => 'sent')
    const onError = vi.fn()
    const { handle } = mountMutation({
      mutationFn,
      onError,
      optimistic: { key: ['post'], update: (old) => ({ likes: (old as { likes: number }).likes + 1 }) },
    })
    await act(async () => handle.current.mutate()) // the post is not loaded: the updater throws
    expect(mutationFn).not.toHaveBeenCalled()
    expect(handle.current.error).toBeInstanceOf(TypeError)
    expect(onError).toHaveBeenCalledTimes(1)
    expect(cache.get(['post'])).toBeUndefined()
  })

  it('rolling back onto a query that had no data sends it back to pending and refetches, not to a fresh undefined', async () => {
    const list = controlledFetcher<string[]>()
    function List() {
      const q = useCachedQuery({ key: ['todos'], fetcher: list.fetcher, staleTime: 60_000 })
      return <p>{`todos:${q.status}:${(q.data ?? []).join(',')}`}</p>
    }
    const { calls, fn } = controlledMutation<void, string>()
    const { handle } = mountMutation({
      mutationFn: fn,
      optimistic: { key: ['todos'], update: (old, item) => [...((old as string[] | undefined) ?? []), item] },
    })
    renderWith(cache, <List />)
    await settle() // the list's first fetch is in flight
    act(() => handle.current.mutate('milk'))
    await act(async () => list.call(0).resolve(['bread'])) // dropped: the optimistic set superseded it
    await act(async () => calls[0]!.reject(new Error('offline')))
    await settle()
    expect(cache.get(['todos'])?.status).toBe('pending')
    expect(list.calls).toHaveLength(2)
    await act(async () => list.call(1).resolve(['bread']))
    await settle()
    expect(screen.getByText('todos:success:bread')).toBeTruthy()
  })
})
