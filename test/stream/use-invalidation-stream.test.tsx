import { act, render, renderHook } from '@testing-library/react'
import { StrictMode, type ReactNode } from 'react'
import { renderToString } from 'react-dom/server'
import { describe, expect, it, vi } from 'vitest'
import { createCache } from '../../src/core/cache'
import type { Cache } from '../../src/core/types'
import { CacheProvider } from '../../src/react/provider'
import { useInvalidationStream } from '../../src/react/use-invalidation-stream'
import { fakeTimersEachTest } from '../helpers/core'
import { fakeEventSourceImpl } from '../helpers/fake-event-source'
import { recordingCache } from './recording-cache'

fakeTimersEachTest()

function Stream({ url, impl, label }: { url: string | null; impl: typeof EventSource; label: string }) {
  const { state } = useInvalidationStream(url, { eventSourceImpl: impl })
  return <span data-testid={label}>{state}</span>
}

function inProvider(cache: Cache, children: ReactNode) {
  return <CacheProvider cache={cache}>{children}</CacheProvider>
}

/** A recording cache and an EventSource impl that records every source; `stream(label, url)` is one user of that impl. */
function setup() {
  const { cache } = recordingCache()
  const { impl, instances } = fakeEventSourceImpl()
  const stream = (label: string, url: string | null = '/events') => <Stream url={url} impl={impl} label={label} />
  return { cache, impl, instances, stream }
}

describe('useInvalidationStream', () => {
  it('shares one connection per (cache, url) and shows its state in every user', () => {
    const { cache, instances, stream } = setup()
    const view = render(inProvider(cache, <>{stream('a')}{stream('b')}{stream('c')}</>))
    expect(instances).toHaveLength(1)
    expect(view.getByTestId('a').textContent).toBe('connecting')
    act(() => instances[0]!.open())
    expect(view.getByTestId('a').textContent).toBe('open')
    expect(view.getByTestId('c').textContent).toBe('open')
    act(() => instances[0]!.drop())
    expect(view.getByTestId('b').textContent).toBe('connecting')
    view.unmount()
  })

  it('keeps the connection while any user is mounted and closes it after the last unmounts', async () => {
    const { cache, instances, stream } = setup()
    const view = render(inProvider(cache, <>{stream('a')}{stream('b')}</>))
    view.rerender(inProvider(cache, stream('a')))
    await vi.advanceTimersByTimeAsync(10)
    expect(instances[0]!.closeCalls).toBe(0)

    view.unmount()
    expect(instances[0]!.closeCalls).toBe(0) // deferred one tick...
    await vi.advanceTimersByTimeAsync(0)
    expect(instances[0]!.closeCalls).toBe(1) // ...then closed
    expect(instances[0]!.listenerCount()).toBe(0)
    expect(instances).toHaveLength(1)
  })

  it('opens exactly one connection under StrictMode and does not churn it', async () => {
    const { cache, instances, stream } = setup()
    const view = render(<StrictMode>{inProvider(cache, stream('a'))}</StrictMode>)
    await vi.advanceTimersByTimeAsync(10)
    expect(instances).toHaveLength(1)
    expect(instances[0]!.closeCalls).toBe(0)
    act(() => instances[0]!.open())
    expect(view.getByTestId('a').textContent).toBe('open')
    view.unmount()
    await vi.advanceTimersByTimeAsync(0)
    expect(instances[0]!.closeCalls).toBe(1)
  })

  it('reuses the connection when a new user mounts in the same tick the last one left', async () => {
    const { cache, impl, instances } = setup()
    const view = render(inProvider(cache, <Stream key="one" url="/events" impl={impl} label="a" />))
    act(() => instances[0]!.open())
    view.rerender(inProvider(cache, <Stream key="two" url="/events" impl={impl} label="a" />))
    await vi.advanceTimersByTimeAsync(10)
    expect(instances).toHaveLength(1)
    expect(instances[0]!.closeCalls).toBe(0)
    expect(view.getByTestId('a').textContent).toBe('open')
    view.unmount()
  })

  it('opens a new connection for another url or another cache, and none for null', async () => {
    const { cache: first, instances, stream } = setup()
    const second = recordingCache().cache
    const view = render(
      <>
        {inProvider(
          first,
          <>
            {stream('a', '/a')}
            {stream('b', '/b')}
            {stream('none', null)}
          </>,
        )}
        {inProvider(second, stream('other-cache', '/a'))}
      </>,
    )
    expect(instances.map((source) => source.url)).toEqual(['/a', '/b', '/a'])
    expect(view.getByTestId('none').textContent).toBe('closed')
    view.unmount()
    await vi.advanceTimersByTimeAsync(0)
    expect(instances.map((source) => source.closeCalls)).toEqual([1, 1, 1])
  })

  it('switching url moves to the new connection and closes the old one', async () => {
    const { cache, instances, stream } = setup()
    const view = render(inProvider(cache, stream('a', '/a')))
    view.rerender(inProvider(cache, stream('a', '/b')))
    await vi.advanceTimersByTimeAsync(0)
    expect(instances.map((source) => [source.url, source.closeCalls])).toEqual([
      ['/a', 1],
      ['/b', 0],
    ])
    view.unmount()
    await vi.advanceTimersByTimeAsync(0)
  })

  it("a url that keeps failing (a typo) shows 'connecting' in every user and reaches the cache's onError once", async () => {
    const onError = vi.fn<(error: Error) => void>()
    const cache = createCache({ onError })
    const { impl, instances } = fakeEventSourceImpl()
    const stream = (label: string) => <Stream url="/evnets" impl={impl} label={label} />
    const view = render(inProvider(cache, <>{stream('a')}{stream('b')}</>))
    act(() => instances[0]!.fail())
    await act(() => vi.advanceTimersByTimeAsync(1_000))
    act(() => instances[1]!.fail())
    await act(() => vi.advanceTimersByTimeAsync(2_000))
    act(() => instances[2]!.fail())
    expect(onError).toHaveBeenCalledOnce()
    expect(onError.mock.calls[0]![0].message).toMatch(/^cachet: stream http:\/\/[^ ]+\/evnets failed twice; retrying$/)
    expect(view.getByTestId('a').textContent).toBe('connecting')
    expect(view.getByTestId('b').textContent).toBe('connecting')
    view.unmount()
    await vi.advanceTimersByTimeAsync(0)
  })

  it("renders on the server as 'connecting' without opening anything", () => {
    const { cache, instances, stream } = setup()
    const html = renderToString(inProvider(cache, <>{stream('a')}{stream('b', null)}</>))
    expect(html).toContain('>connecting<')
    expect(html).toContain('>closed<')
    expect(instances).toHaveLength(0)
  })

  it('throws a clear Error outside a CacheProvider', () => {
    vi.spyOn(console, 'error').mockImplementation(() => {})
    expect(() => renderHook(() => useInvalidationStream('/events'))).toThrow(/useInvalidationStream.*CacheProvider/)
  })
})
