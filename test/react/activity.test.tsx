import { act, screen } from '@testing-library/react'
import * as React from 'react'
import type { ReactElement, ReactNode } from 'react'
import { describe, expect, it } from 'vitest'
import type { Cache } from '../../src/core/types'
import { useCachedQuery } from '../../src/react/use-cached-query'
import { cacheEachTest, controlledFetcher } from '../helpers/core'
import { renderWith, settle, testCache } from './helpers'

let cache: Cache
cacheEachTest(testCache, (c) => (cache = c))

// React 19.2's <Activity>: not run on React 18, which has none (vitest.react18.config.ts;
// the core test stats-remount covers the observer there).
const Activity = (React as unknown as { Activity: (props: { mode: 'visible' | 'hidden'; children: ReactNode }) => ReactNode }).Activity

describe('<Activity>', () => {
  it('counts the mount again in stats() when a hidden subtree is shown again', async () => {
    const Shown = Activity
    cache.set(['k'], 'v')
    function View() {
      const q = useCachedQuery({ key: ['k'], fetcher: async () => 'fetched', staleTime: 60_000 })
      return <p>{String(q.data)}</p>
    }
    let setMode!: (mode: 'visible' | 'hidden') => void
    function App() {
      const [mode, set] = React.useState<'visible' | 'hidden'>('visible')
      setMode = set
      return (
        <Shown mode={mode}>
          <View />
        </Shown>
      )
    }
    renderWith(cache, <App />, { strict: true })
    await settle()
    expect(cache.stats()).toMatchObject({ hits: 1, misses: 0 })
    act(() => setMode('hidden'))
    await settle()
    act(() => setMode('visible'))
    await settle()
    expect(cache.stats()).toMatchObject({ hits: 2, misses: 0, fetches: 0 })
  })
})

describe('<Activity> and a held render', () => {
  // A sibling that suspends on id 2: the transition to id 2 is held.
  const never = new Promise<never>(() => {})
  const Sibling = ({ id }: { id: number }) => (id === 2 ? React.use(never) : null)

  /** Renders `app`, lands 'old' for id 1, starts the transition to id 2 (held), then hides the subtree and shows it again. */
  async function holdThenHideAndShow(
    app: ReactElement,
    call: ReturnType<typeof controlledFetcher<string>>['call'],
    go: () => void,
    setMode: (mode: 'visible' | 'hidden') => void,
  ) {
    renderWith(cache, app)
    await settle()
    call(0).resolve('old')
    await settle()
    await act(async () => go())
    await settle()
    expect(screen.getByText('1:old')).toBeTruthy() // the transition is held
    await act(async () => setMode('hidden'))
    await settle()
    await act(async () => setMode('visible'))
    await settle()
  }

  it('a memoized hook shown again observes the committed key, not a held transition\'s', async () => {
    const { fetcher, calls, call } = controlledFetcher<string>()
    const View = React.memo(function View({ id }: { id: number }) {
      const q = useCachedQuery({ key: ['k', id], fetcher, staleTime: 60_000 })
      return <p>{`${id}:${q.data ?? '-'}`}</p>
    })
    let setMode!: (mode: 'visible' | 'hidden') => void
    let go!: () => void
    function App() {
      const [mode, set] = React.useState<'visible' | 'hidden'>('visible')
      const [id, setId] = React.useState(1)
      const [, start] = React.useTransition()
      setMode = set
      go = () => start(() => setId(2))
      return (
        <React.Suspense fallback={<p>fallback</p>}>
          <Activity mode={mode}>
            <View id={id} />
          </Activity>
          <Sibling id={id} />
        </React.Suspense>
      )
    }
    await holdThenHideAndShow(<App />, call, () => go(), (mode) => setMode(mode))
    expect(screen.getByText('1:old')).toBeTruthy()
    expect(calls.map((c) => c.ctx.key)).toEqual([['k', 1]]) // the held key is not fetched
    await act(async () => void cache.invalidate({ key: ['k', 1] }))
    await settle()
    expect(calls).toHaveLength(2) // the shown key is refetched
    call(1).resolve('new')
    await settle()
    expect(screen.getByText('1:new')).toBeTruthy()
  })

  it('an element made higher up, shown again, keeps the committed enabled, not a held transition\'s', async () => {
    const { fetcher, calls, call } = controlledFetcher<string>()
    function View({ id }: { id: number }) {
      const q = useCachedQuery({ key: ['k'], fetcher, enabled: id === 1 })
      return <p>{`${id}:${q.data ?? '-'}`}</p>
    }
    let setMode!: (mode: 'visible' | 'hidden') => void
    // Its own state: showing and hiding re-render Shell, not the element it was given.
    function Shell({ children }: { children: ReactNode }) {
      const [mode, set] = React.useState<'visible' | 'hidden'>('visible')
      setMode = set
      return <Activity mode={mode}>{children}</Activity>
    }
    let go!: () => void
    function App() {
      const [id, setId] = React.useState(1)
      const [, start] = React.useTransition()
      go = () => start(() => setId(2))
      return (
        <React.Suspense fallback={<p>fallback</p>}>
          <Shell>
            <View id={id} />
          </Shell>
          <Sibling id={id} />
        </React.Suspense>
      )
    }
    await holdThenHideAndShow(<App />, call, () => go(), (mode) => setMode(mode))
    expect(screen.getByText('1:old')).toBeTruthy() // the transition is still held
    await act(async () => void cache.invalidate({ key: ['k'] }))
    await settle()
    expect(calls).toHaveLength(2) // the shown query is enabled: refetched
    call(1).resolve('new')
    await settle()
    expect(screen.getByText('1:new')).toBeTruthy()
  })
})
