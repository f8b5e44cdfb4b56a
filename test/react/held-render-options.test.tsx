import { act, screen } from '@testing-library/react'
import { useState } from 'react'
import { describe, expect, it } from 'vitest'
import type { Cache } from '../../src/core/types'
import { useCachedQuery } from '../../src/react/use-cached-query'
import { cacheEachTest, controlledFetcher } from '../helpers/core'
import { renderTransition, renderWith, settle, testCache } from './helpers'

let cache: Cache
cacheEachTest(testCache, (c) => (cache = c))


describe('options of a render React has not committed', () => {
  it('enabled: false in a held render leaves the shown query refetched by invalidations', async () => {
    const { fetcher, calls, call } = controlledFetcher<string>()
    function View({ id }: { id: number }) {
      const q = useCachedQuery({ key: ['k'], fetcher, enabled: id === 1 })
      return <p>{`${id}:${q.data ?? '-'}`}</p>
    }
    const go = renderTransition(cache, View)
    await settle()
    call(0).resolve('old')
    await settle()
    expect(screen.getByText('1:old')).toBeTruthy()
    await act(async () => go())
    await settle()
    expect(screen.getByText('1:old')).toBeTruthy() // the transition is held
    await act(async () => void cache.invalidate({ key: ['k'] }))
    await settle()
    expect(calls).toHaveLength(2)
    call(1).resolve('new')
    await settle()
    expect(screen.getByText('1:new')).toBeTruthy()
  })

  it('refetchOnFocus: false in a held render leaves the shown query refetched on focus', async () => {
    const { fetcher, calls, call } = controlledFetcher<string>()
    function View({ id }: { id: number }) {
      const q = useCachedQuery({ key: ['k'], fetcher, refetchOnFocus: id === 1 })
      return <p>{`${id}:${q.data ?? '-'}`}</p>
    }
    const go = renderTransition(cache, View)
    await settle()
    call(0).resolve('old')
    await settle()
    await act(async () => go())
    await settle()
    expect(screen.getByText('1:old')).toBeTruthy()
    await act(async () => void window.dispatchEvent(new Event('visibilitychange')))
    await settle()
    expect(calls).toHaveLength(2)
    call(1).resolve('new')
    await settle()
    expect(screen.getByText('1:new')).toBeTruthy()
  })

  it('a committed change of enabled or refetchOnFocus still takes effect', async () => {
    const { fetcher, calls, call } = controlledFetcher<string>()
    let setOn!: (on: boolean) => void
    function View() {
      const [on, set] = useState(true)
      setOn = set
      const q = useCachedQuery({ key: ['k'], fetcher, enabled: on, refetchOnFocus: on })
      return <p>{`${on}:${q.data ?? '-'}`}</p>
    }
    renderWith(cache, <View />)
    await settle()
    call(0).resolve('old')
    await settle()
    act(() => setOn(false))
    await settle()
    await act(async () => void cache.invalidate({ key: ['k'] }))
    await act(async () => void window.dispatchEvent(new Event('visibilitychange')))
    await settle()
    expect(calls).toHaveLength(1)
    expect(screen.getByText('false:old')).toBeTruthy()
  })

  it('a committed change of refetchOnFocus alone takes effect', async () => {
    const { fetcher, calls, call } = controlledFetcher<string>()
    let setOn!: (on: boolean) => void
    function View() {
      const [on, set] = useState(false)
      setOn = set
      const q = useCachedQuery({ key: ['k'], fetcher, refetchOnFocus: on })
      return <p>{`${on}:${q.data ?? '-'}`}</p>
    }
    renderWith(cache, <View />)
    await settle()
    call(0).resolve('old')
    await settle()
    await act(async () => void window.dispatchEvent(new Event('visibilitychange')))
    await settle()
    expect(calls).toHaveLength(1)
    act(() => setOn(true))
    await settle()
    await act(async () => void window.dispatchEvent(new Event('visibilitychange')))
    await settle()
    expect(calls).toHaveLength(2)
  })
})
