// What the model-based test of the hooks (hooks.property.test.tsx) found,
// shrunk to example tests.
import { act } from '@testing-library/react'
import { describe, expect, it } from 'vitest'
import type { Cache } from '../../src/core/types'
import { useMutation, type UseMutationResult } from '../../src/react/use-mutation'
import { cacheEachTest } from '../helpers/core'
import { deferred, type Deferred } from '../helpers/deferred'
import { renderWith, settle, testCache } from './helpers'

let cache: Cache
cacheEachTest(testCache, (c) => (cache = c))

interface Likes {
  likes: number
}

/** A mutation on ['post'] that adds `vars` likes optimistically; every call waits for the test. */
function mountLikes() {
  const calls: Deferred<string>[] = []
  const handle = { current: undefined as unknown as UseMutationResult<string, number> }
  function View() {
    handle.current = useMutation<string, number>({
      mutationFn: () => {
        const call = deferred<string>()
        calls.push(call)
        return call.promise
      },
      optimistic: {
        key: ['post'],
        update: (old, n) => ({ likes: ((old as Likes | undefined)?.likes ?? 0) + n }),
      },
    })
    return null
  }
  renderWith(cache, <View />)
  const mutate = (n: number) => act(() => handle.current.mutate(n))
  const fail = (i: number) => act(async () => calls[i]!.reject(new Error('failed')))
  return { mutate, fail }
}

const likes = () => cache.get<Likes>(['post'])?.data?.likes

describe('findings of the hooks model', () => {
  // A layer's rollback replayed the earlier layers, also those an outside
  // write (clear, remove, a fetch or set) had replaced.
  it('a rollback after clear() does not bring back an earlier layer that clear() removed', async () => {
    const { mutate, fail } = mountLikes()
    await mutate(1) // A: {likes 1}
    act(() => cache.clear())
    expect(likes()).toBeUndefined()
    await mutate(10) // B on no data: {likes 10}
    expect(likes()).toBe(10)
    await fail(1) // B fails: back to what clear() left, not to A's value
    await settle()
    expect(likes()).toBeUndefined()
  })

  it("a rollback after data lands does not re-apply an earlier layer the server's answer replaced", async () => {
    cache.set(['post'], { likes: 1 })
    const { mutate, fail } = mountLikes()
    await mutate(1) // A: 2
    act(() => cache.set(['post'], { likes: 5 })) // the server's answer lands: it wins over A
    expect(likes()).toBe(5)
    await mutate(10) // B: 15
    await fail(1) // B fails: back to the server's answer, not to A replayed on it (6)
    await settle()
    expect(likes()).toBe(5)
  })

  it('after a remove replaced three layers, rolling back two of them writes none back', async () => {
    const { mutate, fail } = mountLikes()
    await mutate(1)
    await mutate(1)
    await mutate(1) // 3
    await act(() => cache.invalidate({ key: ['post'] }, { mode: 'remove' }))
    await fail(0)
    expect(likes()).toBeUndefined()
    await fail(1) // was: the third layer replayed on no data, {likes 1}
    await settle()
    expect(likes()).toBeUndefined()
  })
})
