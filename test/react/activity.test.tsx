import { act } from '@testing-library/react'
import * as React from 'react'
import type { ReactNode } from 'react'
import { describe, expect, it } from 'vitest'
import type { Cache } from '../../src/core/types'
import { useCachedQuery } from '../../src/react/use-cached-query'
import { cacheEachTest } from '../helpers/core'
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
