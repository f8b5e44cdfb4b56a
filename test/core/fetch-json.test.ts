// @vitest-environment node
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createCache } from '../../src/core/cache'
import { fetchJson } from '../../src/core/fetch-json'
import { notModified } from '../../src/core/result'
import type { FetchContext } from '../../src/core/types'

beforeEach(() => {
  vi.useFakeTimers()
})
afterEach(() => {
  vi.useRealTimers()
  vi.unstubAllGlobals()
})

/** Stubs global fetch with answers given in order; records each request. */
function stubFetch(...responses: (() => Response)[]) {
  const requests: { url: string; init: RequestInit | undefined; headers: Headers }[] = []
  const fetchStub = vi.fn(async (input: string | URL | Request, init?: RequestInit) => {
    requests.push({ url: String(input), init, headers: new Headers(init?.headers) })
    const next = responses.shift()
    if (!next) throw new Error('unexpected request')
    return next()
  })
  vi.stubGlobal('fetch', fetchStub)
  return { fetchStub, requests }
}

const json = (body: unknown, init: ResponseInit = {}) => () =>
  new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json' }, ...init })

function context(overrides: Partial<FetchContext> = {}): FetchContext {
  return {
    key: ['k'],
    segment: undefined,
    signal: new AbortController().signal,
    etag: undefined,
    modelVersion: undefined,
    ...overrides,
  }
}

describe('fetchJson', () => {
  it('GETs the url and resolves with the parsed body', async () => {
    const { requests } = stubFetch(json({ hello: 'world' }))
    const cache = createCache({ now: () => Date.now() })
    await expect(cache.fetch({ key: ['hello'], fetcher: fetchJson('/api/hello') })).resolves.toEqual({ hello: 'world' })
    expect(requests[0]?.url).toBe('/api/hello')
    expect(cache.get(['hello'])?.etag).toBeUndefined()
  })

  it('keeps the ETag header as the entry etag (a versioned result)', async () => {
    stubFetch(json({ v: 1 }, { headers: { ETag: '"abc"' } }))
    const cache = createCache({ now: () => Date.now() })
    await expect(cache.fetch({ key: ['doc'], fetcher: fetchJson('/doc') })).resolves.toEqual({ v: 1 })
    expect(cache.get(['doc'])?.etag).toBe('"abc"')
  })

  it('sends no If-None-Match without a cached etag, and the cached one after', async () => {
    const { requests } = stubFetch(json({ v: 1 }, { headers: { ETag: 'W/"1"' } }), () => new Response(null, { status: 304 }))
    const cache = createCache({ now: () => Date.now() })
    await cache.fetch({ key: ['doc'], fetcher: fetchJson('/doc') })
    await cache.fetch({ key: ['doc'], fetcher: fetchJson('/doc') })
    expect(requests[0]?.headers.has('if-none-match')).toBe(false)
    expect(requests[1]?.headers.get('if-none-match')).toBe('W/"1"')
  })

  it('answers notModified on 304', async () => {
    stubFetch(() => new Response(null, { status: 304 }))
    await expect(fetchJson('/doc')(context({ etag: '"x"' }))).resolves.toBe(notModified)
  })

  it('on 304 the cache keeps the same data reference and bumps updatedAt', async () => {
    stubFetch(json({ v: 1 }, { headers: { ETag: '"1"' } }), () => new Response(null, { status: 304 }))
    const cache = createCache({ now: () => Date.now() })
    const first = await cache.fetch({ key: ['doc'], fetcher: fetchJson('/doc') })
    const firstAt = cache.get(['doc'])?.updatedAt ?? 0
    await vi.advanceTimersByTimeAsync(250)
    const second = await cache.fetch({ key: ['doc'], fetcher: fetchJson('/doc') })
    expect(second).toBe(first)
    expect(cache.get(['doc'])?.data).toBe(first)
    expect(cache.get(['doc'])?.updatedAt).toBe(firstAt + 250)
  })

  it('passes the signal', async () => {
    const { requests } = stubFetch(json(1))
    const controller = new AbortController()
    await fetchJson('/x')(context({ signal: controller.signal }))
    expect(requests[0]?.init?.signal).toBe(controller.signal)
  })

  it('keeps the caller headers and init next to If-None-Match', async () => {
    const { requests } = stubFetch(json(1), json(2))
    await fetchJson('/x', { method: 'GET', cache: 'no-cache', headers: { Authorization: 'Bearer t' } })(context({ etag: '"e"' }))
    expect(requests[0]?.init?.method).toBe('GET')
    expect(requests[0]?.init?.cache).toBe('no-cache')
    expect(requests[0]?.headers.get('authorization')).toBe('Bearer t')
    expect(requests[0]?.headers.get('if-none-match')).toBe('"e"')
    // On a POST, If-None-Match is a precondition (a match answers 412), not a revalidation.
    await fetchJson('/x', { method: 'POST', headers: { Authorization: 'Bearer t' } })(context({ etag: '"e"' }))
    expect(requests[1]?.init?.method).toBe('POST')
    expect(requests[1]?.headers.get('authorization')).toBe('Bearer t')
    expect(requests[1]?.headers.has('if-none-match')).toBe(false)
  })

  it.each([404, 500])('throws an Error carrying status %i on a non-2xx answer', async (status) => {
    stubFetch(() => new Response('nope', { status }))
    const error = await fetchJson('/x')(context()).then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(error).toBeInstanceOf(Error)
    expect(error).toMatchObject({ status })
    expect((error as Error).message).toContain(String(status))
  })

  it('a 404 from fetchJson is not retried by the cache', async () => {
    const { fetchStub } = stubFetch(() => new Response('nope', { status: 404 }))
    const cache = createCache({ now: () => Date.now(), retry: 3 })
    const result = cache.fetch({ key: ['x'], fetcher: fetchJson('/x') }).catch((e: unknown) => e)
    await vi.advanceTimersByTimeAsync(60_000)
    expect(await result).toMatchObject({ status: 404 })
    expect(fetchStub).toHaveBeenCalledTimes(1)
    expect(cache.get(['x'])?.status).toBe('error')
  })

  it('rejects with an Error when the body is not JSON', async () => {
    stubFetch(() => new Response('<html>', { status: 200 }))
    await expect(fetchJson('/x')(context())).rejects.toBeInstanceOf(Error)
  })
})

describe('fetchJson: signals and bodies', () => {
  it("aborts when the caller's own init.signal aborts, as well as when the cache's does", async () => {
    // A request that answers only when its signal aborts (the server never does).
    const requests: AbortSignal[] = []
    vi.stubGlobal(
      'fetch',
      vi.fn(
        (_input: unknown, init?: RequestInit) =>
          new Promise<Response>((_, reject) => {
            const signal = init!.signal!
            requests.push(signal)
            signal.addEventListener('abort', () => reject(signal.reason))
          }),
      ),
    )
    const mine = new AbortController()
    const first = fetchJson('/x', { signal: mine.signal })(context()).catch((e: unknown) => e)
    mine.abort('mine')
    expect(await first).toBe('mine')
    expect(requests[0]!.aborted).toBe(true)
    const cacheSide = new AbortController()
    const second = fetchJson('/x', { signal: new AbortController().signal })(context({ signal: cacheSide.signal })).catch((e: unknown) => e)
    cacheSide.abort('cache')
    expect(await second).toBe('cache')
    expect(requests[1]!.aborted).toBe(true)
  })

  it.each([204, 205])('a %i answers undefined, once (not a JSON error, retried)', async (status) => {
    const { fetchStub } = stubFetch(() => new Response(null, { status }))
    const cache = createCache({ now: () => Date.now() })
    await expect(cache.fetch({ key: ['e'], fetcher: fetchJson('/e') })).resolves.toBeUndefined()
    expect(fetchStub).toHaveBeenCalledTimes(1)
  })

  it('an empty 200 body answers undefined', async () => {
    stubFetch(() => new Response('', { status: 200 }))
    await expect(fetchJson('/e')(context())).resolves.toBeUndefined()
  })

  it('a body that is not JSON throws an Error naming the URL and status, with the parse error as its cause', async () => {
    stubFetch(() => new Response('<!doctype html>', { status: 200 }))
    const error = (await fetchJson('/api/recs')(context()).catch((e: unknown) => e)) as Error & { status: number }
    expect(error.message).toMatch(/^fetchJson: \/api\/recs answered 200 with a body that is not JSON: /)
    expect(error.status).toBe(200)
    expect(error.cause).toBeInstanceOf(SyntaxError)
  })
})

describe('fetchJson: a revalidation a cross-origin preflight refuses', () => {
  /** Stubs fetch: a request with If-None-Match (any, when the network is down) fails as a refused CORS preflight does; one without answers 200. */
  function refusingPreflight(networkDown = false) {
    const sent: (string | null)[] = []
    vi.stubGlobal(
      'fetch',
      vi.fn(async (_input: unknown, init?: RequestInit) => {
        const ifNoneMatch = new Headers(init?.headers).get('if-none-match')
        sent.push(ifNoneMatch)
        if (init?.signal?.aborted) throw init.signal.reason
        if (ifNoneMatch !== null || networkDown) throw new TypeError('Failed to fetch')
        return json({ v: 2 }, { headers: { ETag: '"2"' } })()
      }),
    )
    vi.stubGlobal('location', { href: 'https://app.example/page', origin: 'https://app.example' })
    return sent
  }

  it('is sent again without If-None-Match, once, and answers its 200', async () => {
    const sent = refusingPreflight()
    const result = await fetchJson('https://api.example/doc')(context({ etag: '"1"' }))
    expect(result).toMatchObject({ data: { v: 2 }, etag: '"2"' })
    expect(sent).toEqual(['"1"', null])
  })

  it.each([
    ['same-origin (no preflight: a network error)', '/doc', '"1"', false],
    ['sent without an etag', 'https://api.example/doc', undefined, false],
    ['aborted', 'https://api.example/doc', '"1"', true],
  ] as const)('is not sent again when %s', async (_name, url, etag, aborted) => {
    const sent = refusingPreflight(etag === undefined)
    const controller = new AbortController()
    if (aborted) controller.abort(new Error('nobody waits'))
    const error = await fetchJson(url)(context({ etag, signal: controller.signal })).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(Error)
    expect(sent).toHaveLength(1)
  })
})
