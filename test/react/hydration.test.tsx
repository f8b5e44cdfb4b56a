import { act, screen } from '@testing-library/react'
import { StrictMode, type ReactNode } from 'react'
import { hydrateRoot, type Root } from 'react-dom/client'
import { renderToString } from 'react-dom/server'
import { describe, expect, it, vi } from 'vitest'
import type { Cache } from '../../src/core/types'
import { CacheProvider } from '../../src/react/provider'
import { useCachedQuery } from '../../src/react/use-cached-query'
import { useInvalidationStream } from '../../src/react/use-invalidation-stream'
import { cacheEachTest, controlledFetcher } from '../helpers/core'
import { fakeEventSourceImpl } from '../helpers/fake-event-source'
import { settle, testCache } from './helpers'

let cache: Cache
cacheEachTest(testCache, (c) => (cache = c))

describe('hydrating server-rendered HTML', () => {
  it('matches the server HTML, then fetches once and connects once after hydration (StrictMode)', async () => {
    const { fetcher, calls } = controlledFetcher<string[]>()
    const { impl, instances } = fakeEventSourceImpl()
    const count = (names: string[]) => names.length
    function Products() {
      const q = useCachedQuery({ key: ['products'], fetcher, select: count })
      const stream = useInvalidationStream('/events', { eventSourceImpl: impl })
      return <p>{`${q.status}:${q.data ?? '-'}:${q.isFetching}:${stream.state}`}</p>
    }
    const app = (c: Cache): ReactNode => (
      <CacheProvider cache={c}>
        <Products />
      </CacheProvider>
    )
    // The server's cache and the browser's hold the same answer (the app sends it along).
    const server = testCache()
    server.set(['products'], ['a', 'b'])
    const html = renderToString(app(server))
    server.clear()
    expect(html).toBe('<p>success:2:false:connecting</p>')
    expect(calls).toHaveLength(0)
    expect(instances).toHaveLength(0)

    cache.set(['products'], ['a', 'b'])
    const container = document.body.appendChild(document.createElement('div'))
    container.innerHTML = html
    // Watched from here: React 18 warns of a layout effect rendered on a server
    // when `window` exists (only in a test: jsdom's), as for any library's.
    const errors = vi.spyOn(console, 'error')
    const recoverable = vi.fn()
    let root!: Root
    await act(async () => {
      root = hydrateRoot(container, <StrictMode>{app(cache)}</StrictMode>, { onRecoverableError: recoverable })
    })
    await settle()
    expect(recoverable).not.toHaveBeenCalled()
    expect(errors).not.toHaveBeenCalled()
    // Hydrated, the query revalidates its stale data once and the stream opens once.
    expect(calls).toHaveLength(1)
    expect(instances).toHaveLength(1)
    expect(screen.getByText('success:2:true:connecting')).toBeTruthy()
    act(() => instances[0]!.open())
    calls[0]!.resolve(['a', 'b', 'c'])
    await settle()
    expect(screen.getByText('success:3:false:open')).toBeTruthy()
    act(() => root.unmount())
    container.remove()
    await settle()
  })
})
