// ETag and 304 end to end: fetchJson against a real HTTP server on the
// loopback interface (127.0.0.1, an ephemeral port, closed after each test),
// the cache, and mounted React components. The cache runs on an injected
// clock; every wait is on a request, a fetch or one task, and each is bounded.
import { act, cleanup, render, screen } from '@testing-library/react'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { ReactNode } from 'react'
import { afterEach, describe, expect, it } from 'vitest'
import { createCache } from '../../src/core/cache'
import { fetchJson } from '../../src/core/fetch-json'
import type { Cache } from '../../src/core/types'
import { CacheProvider } from '../../src/react/provider'
import { useCachedQuery } from '../../src/react/use-cached-query'

const servers: Server[] = []
afterEach(async () => {
  cleanup()
  for (const server of servers.splice(0)) {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  }
})

interface Seen {
  path: string
  ifNoneMatch: string | undefined
}

/** A loopback server; `requests` lists what each request asked. */
async function serve(handler: (req: IncomingMessage, res: ServerResponse, url: URL) => void) {
  const requests: Seen[] = []
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    requests.push({ path: url.pathname + url.search, ifNoneMatch: req.headers['if-none-match'] })
    handler(req, res, url)
  })
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests }
}

/** Answers `etag`'s body with 200, and 304 to a request that names `etag`. */
function revalidating(res: ServerResponse, ifNoneMatch: string | undefined, etag: string, body: unknown): void {
  if (ifNoneMatch === etag) {
    res.writeHead(304, { etag })
    res.end()
    return
  }
  res.writeHead(200, { etag, 'content-type': 'application/json' })
  res.end(JSON.stringify(body))
}

/** Waits for `promise` (inside act), failing when it takes longer than `ms`. */
async function settled<T>(promise: Promise<T>, ms = 5000): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`not settled within ${ms} ms`)), ms)
  })
  try {
    return await act(() => Promise.race([promise, timeout]))
  } finally {
    clearTimeout(timer)
  }
}

/** One task: the cache's batched notify (a setTimeout 0) and React's commit. */
async function nextTask(): Promise<void> {
  await act(() => new Promise<void>((resolve) => setTimeout(resolve, 0)))
}

function mount(cache: Cache, ui: ReactNode) {
  return render(<CacheProvider cache={cache}>{ui}</CacheProvider>)
}

interface Doc {
  title: string
}

describe('ETag end to end: fetchJson, a real server, a mounted component', () => {
  it('a 304 keeps the same data, marks it fresh, and re-renders only a component that reads updatedAt, once', async () => {
    const { url, requests } = await serve((req, res) => revalidating(res, req.headers['if-none-match'], 'W/"d1"', { title: 'a' }))
    let now = 1_000
    const cache = createCache({ now: () => now, staleTime: 60_000 })
    const query = { key: ['doc'], fetcher: fetchJson<Doc>(`${url}/doc`) }
    const renders = { data: 0, updatedAt: 0 }
    const seen: (Doc | undefined)[] = []
    function DataOnly() {
      const { data } = useCachedQuery(query)
      renders.data++
      seen.push(data)
      return <p>{`title:${data?.title ?? '-'}`}</p>
    }
    function WithUpdatedAt() {
      const { data, updatedAt } = useCachedQuery(query)
      renders.updatedAt++
      seen.push(data)
      return <p>{`at:${updatedAt}`}</p>
    }
    mount(
      cache,
      <>
        <DataOnly />
        <WithUpdatedAt />
      </>,
    )
    // The mount's fetch, joined (one request).
    const first = await settled(cache.fetch(query))
    await nextTask()
    expect(screen.getByText('title:a')).toBeTruthy()
    expect(screen.getByText('at:1000')).toBeTruthy()
    const before = { ...renders }

    now = 90_000 // stale by now
    expect(cache.get(['doc'])?.isStale).toBe(true)
    const second = await settled(cache.fetch(query))
    await nextTask()

    expect(requests).toEqual([
      { path: '/doc', ifNoneMatch: undefined },
      { path: '/doc', ifNoneMatch: 'W/"d1"' }, // the weak validator, verbatim
    ])
    expect(second).toBe(first)
    expect(cache.get<Doc>(['doc'])).toMatchObject({ data: first, etag: 'W/"d1"', updatedAt: 90_000, isStale: false, status: 'success' })
    expect(screen.getByText('at:90000')).toBeTruthy()
    expect(renders.data - before.data).toBe(0)
    expect(renders.updatedAt - before.updatedAt).toBe(1)
    expect(seen.every((data) => data === undefined || data === first)).toBe(true)
  })

  it('each segment sends its own etag, and a remove-mode invalidation sends none', async () => {
    const { url, requests } = await serve((req, res, at) => {
      const segment = at.searchParams.get('segment') ?? ''
      revalidating(res, req.headers['if-none-match'], `"${segment}-1"`, { title: segment })
    })
    const cache = createCache({ now: () => 0, staleTime: 60_000 })
    const query = (segment: string) => ({
      key: ['recs'],
      segment,
      fetcher: fetchJson<Doc>(`${url}/recs?segment=${segment}`),
    })
    function Recs({ segment }: { segment: string }) {
      const { data, status } = useCachedQuery(query(segment))
      return <p>{`${segment}:${status}:${data?.title ?? '-'}`}</p>
    }
    mount(
      cache,
      <>
        <Recs segment="arm-a" />
        <Recs segment="arm-b" />
      </>,
    )
    await settled(Promise.all([cache.fetch(query('arm-a')), cache.fetch(query('arm-b'))]))
    await nextTask()
    expect(screen.getByText('arm-a:success:arm-a')).toBeTruthy()
    expect(screen.getByText('arm-b:success:arm-b')).toBeTruthy()

    await settled(cache.invalidate({ key: ['recs'] })) // both refetch: 304s
    await settled(cache.invalidate({ key: ['recs'], segment: 'arm-b' }, { mode: 'remove' }))
    await nextTask()
    const sent = (segment: string) => requests.filter((request) => request.path.endsWith(segment)).map((request) => request.ifNoneMatch)
    expect(sent('arm-a')).toEqual([undefined, '"arm-a-1"'])
    // After the remove, the old etag is gone with the data: a 304 would have nothing to keep.
    expect(sent('arm-b')).toEqual([undefined, '"arm-b-1"', undefined])
    expect(cache.get(['recs'], 'arm-b')).toMatchObject({ status: 'success', etag: '"arm-b-1"', data: { title: 'arm-b' } })
    expect(screen.getByText('arm-b:success:arm-b')).toBeTruthy()
  })

  it('a 304 to a request that had nothing cached shows an error naming the key, and the next 200 recovers', async () => {
    let broken = true
    // A misbehaving proxy: 304 whatever was asked.
    const { url } = await serve((_req, res) => {
      if (broken) {
        res.writeHead(304)
        res.end()
      } else revalidating(res, undefined, '"v1"', { title: 'ok' })
    })
    const cache = createCache({ now: () => 0, retry: 0 })
    const query = { key: ['doc', 7], fetcher: fetchJson<Doc>(`${url}/doc`) }
    function View() {
      const { data, error, status } = useCachedQuery(query)
      return <p>{`${status}:${data?.title ?? '-'}:${error?.message ?? ''}`}</p>
    }
    mount(cache, <View />)
    await settled(cache.fetch(query).catch(() => {}))
    await nextTask()
    expect(screen.getByText('error:-:cachet: notModified for key ["doc",7], but nothing is cached')).toBeTruthy()
    broken = false
    await settled(cache.invalidate({ key: ['doc'] }))
    await nextTask()
    expect(screen.getByText('success:ok:')).toBeTruthy()
  })
})
