// @vitest-environment node
import { renderToString } from 'react-dom/server'
import { describe, expect, it, vi } from 'vitest'
import { createCache } from '../../src/core/cache'
import type { Cache } from '../../src/core/types'
import { CacheProvider } from '../../src/react/provider'
import { useCachedQuery } from '../../src/react/use-cached-query'
import { useMutation } from '../../src/react/use-mutation'
import { cacheEachTest } from '../helpers/core'

let cache: Cache
cacheEachTest(createCache, (c) => (cache = c))

function View({ id }: { id: number }) {
  const q = useCachedQuery({ key: ['user', id], fetcher, placeholderData: undefined })
  return <p>{`${q.status}:${q.data ?? '-'}:${q.isFetching}`}</p>
}
const fetcher = vi.fn(async () => 'fetched')

describe('server rendering', () => {
  it('renders pending without fetching or throwing', async () => {
    const html = renderToString(
      <CacheProvider cache={cache}>
        <View id={1} />
      </CacheProvider>,
    )
    expect(html).toContain('pending:-:false')
    await vi.advanceTimersByTimeAsync(60_000)
    expect(fetcher).not.toHaveBeenCalled()
  })

  it('renders cached data', async () => {
    cache.set(['user', 2], 'ada')
    const html = renderToString(
      <CacheProvider cache={cache} segment={undefined}>
        <View id={2} />
      </CacheProvider>,
    )
    expect(html).toContain('success:ada:false')
    await vi.advanceTimersByTimeAsync(60_000)
    expect(fetcher).not.toHaveBeenCalled()
  })

  it('renders a mutation idle, without a warning', () => {
    const warn = vi.spyOn(console, 'error')
    function Like() {
      const m = useMutation({ mutationFn: async (_: void) => 'ok' })
      return <p>{`mutation:${m.status}`}</p>
    }
    const html = renderToString(
      <CacheProvider cache={cache}>
        <Like />
      </CacheProvider>,
    )
    expect(html).toContain('mutation:idle')
    expect(warn).not.toHaveBeenCalled()
  })
})
