// @vitest-environment node
// fetchJson against a real HTTP server on the loopback interface (127.0.0.1,
// an ephemeral port), closed after each test. No timers are faked: every wait
// is on the server or the request, and each one is bounded.
import { getEventListeners } from 'node:events'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { createCache } from '../../src/core/cache'
import { fetchJson } from '../../src/core/fetch-json'

const servers: Server[] = []
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  }
})

/** A loopback server; `requests` lists what each request asked. */
async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void) {
  const requests: { method: string | undefined; ifNoneMatch: string | undefined }[] = []
  const server = createServer((req, res) => {
    requests.push({ method: req.method, ifNoneMatch: req.headers['if-none-match'] })
    handler(req, res)
  })
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests }
}

/** Rejects when `promise` takes longer than `ms` (a bound on every wait). */
function within<T>(promise: Promise<T>, ms = 5000): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

/** What still hangs on to a signal: its abort listeners, and (Node) the signals AbortSignal.any made from it. */
function holders(signal: AbortSignal): number {
  const dependants = Object.getOwnPropertySymbols(signal).find((symbol) => symbol.description === 'kDependantSignals')
  const set = dependants && (signal as unknown as Record<symbol, Set<unknown> | undefined>)[dependants]
  return getEventListeners(signal, 'abort').length + (set?.size ?? 0)
}

describe('fetchJson over HTTP: the caller init.signal', () => {
  const platforms = [
    ['with AbortSignal.any', false],
    ['without AbortSignal.any (Safari before 17.4)', true],
  ] as const

  it.each(platforms)('a long-lived init.signal holds nothing of the fetches that finished (%s)', async (_name, hideAny) => {
    const { url, requests } = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end('1')
    })
    const any = Object.getOwnPropertyDescriptor(AbortSignal, 'any')
    if (hideAny) Object.defineProperty(AbortSignal, 'any', { value: undefined, configurable: true })
    try {
      // One signal for the app's lifetime (a logout or shutdown signal), given once.
      const app = new AbortController()
      const cache = createCache({ staleTime: 0 })
      const fetcher = fetchJson(`${url}/n`, { signal: app.signal })
      for (let i = 0; i < 20; i++) await within(cache.fetch({ key: ['n'], fetcher }))
      expect(requests).toHaveLength(20)
      // Before: each fetch left an abort listener (or a dependant signal) on it, for ever.
      expect(holders(app.signal)).toBe(0)
    } finally {
      if (any) Object.defineProperty(AbortSignal, 'any', any)
    }
  })

  it.each(platforms)('either signal still aborts a request the server has not answered (%s)', async (_name, hideAny) => {
    let arrived!: () => void
    const arrival = new Promise<void>((resolve) => (arrived = resolve))
    const { url } = await serve(() => arrived()) // never answers
    const any = Object.getOwnPropertyDescriptor(AbortSignal, 'any')
    if (hideAny) Object.defineProperty(AbortSignal, 'any', { value: undefined, configurable: true })
    try {
      for (const which of ['init', 'cache'] as const) {
        const mine = new AbortController()
        const cacheSide = new AbortController()
        const request = fetchJson(`${url}/hang`, { signal: mine.signal })({
          key: ['hang'],
          segment: undefined,
          signal: cacheSide.signal,
          etag: undefined,
          modelVersion: undefined,
        })
        const outcome = request.then(
          () => 'answered',
          (error: unknown) => error,
        )
        await within(arrival)
        const reason = new Error(`${which} aborted`)
        ;(which === 'init' ? mine : cacheSide).abort(reason)
        expect(await within(outcome)).toBe(reason)
        expect(holders(mine.signal)).toBe(0)
      }
    } finally {
      if (any) Object.defineProperty(AbortSignal, 'any', any)
    }
  })
})

/**
 * A server that evaluates If-None-Match as RFC 9110 13.1.2 says (Go's
 * http.ServeContent and Django's condition decorators do): a match answers
 * 304 to a GET or HEAD, and 412 Precondition Failed to any other method.
 */
function conditionalServer(etag: string, body: string) {
  return serve((req, res) => {
    const match = req.headers['if-none-match']?.split(/\s*,\s*/).includes(etag)
    if (match) {
      res.writeHead(req.method === 'GET' || req.method === 'HEAD' ? 304 : 412, { etag })
      res.end()
      return
    }
    res.writeHead(200, { etag, 'content-type': 'application/json' })
    res.end(body)
  })
}

describe('fetchJson over HTTP: conditional requests', () => {
  it('a POST query refetches its data: If-None-Match goes only with GET and HEAD (a matching one fails any other method with 412)', async () => {
    const { url, requests } = await conditionalServer('"q1"', '{"hits":[1,2]}')
    const cache = createCache({ retry: 0, staleTime: 60_000 })
    const query = { key: ['search', 'shoes'], fetcher: fetchJson<{ hits: number[] }>(`${url}/search`, { method: 'POST', body: '{"q":"shoes"}' }) }
    expect(await within(cache.fetch(query))).toEqual({ hits: [1, 2] })
    await cache.invalidate({ key: ['search'] })
    // Before: the refetch sent If-None-Match, the server answered 412, and the
    // query failed (a 4xx, never retried), on every refetch after, for ever.
    expect(await within(cache.fetch(query))).toEqual({ hits: [1, 2] })
    expect(requests).toEqual([
      { method: 'POST', ifNoneMatch: undefined },
      { method: 'POST', ifNoneMatch: undefined },
    ])
    expect(cache.get(['search', 'shoes'])).toMatchObject({ status: 'success', error: undefined, isStale: false })
  })

  it.each([undefined, 'GET', 'get', 'HEAD'])('method %s still revalidates with If-None-Match, and a 304 keeps the data', async (method) => {
    const { url, requests } = await conditionalServer('"d1"', method === 'HEAD' ? '' : '{"v":1}')
    const cache = createCache()
    const query = { key: ['doc'], fetcher: fetchJson(`${url}/doc`, method === undefined ? undefined : { method }) }
    const first = await within(cache.fetch(query))
    await cache.invalidate({ key: ['doc'] })
    expect(await within(cache.fetch(query))).toBe(first)
    expect(requests.map((request) => request.ifNoneMatch)).toEqual([undefined, '"d1"'])
  })
})

describe('fetchJson over HTTP: an etag that cannot be a header value', () => {
  it.each([
    ['a character above U+00FF', '"v1\u2013"'],
    ['a line break', '"v1\nv2"'],
  ])('with %s (pushed by a server event, or set()) sends none, and the 200 replaces it', async (_name, pushed) => {
    const { url, requests } = await conditionalServer('"v2"', '{"v":2}')
    const cache = createCache({ retry: 0 })
    cache.set(['doc'], { v: 1 }, { etag: pushed })
    // Before: building the request threw (a TypeError) before anything was sent,
    // on every refetch, for ever: no answer could ever replace that etag.
    expect(await within(cache.fetch({ key: ['doc'], fetcher: fetchJson(`${url}/doc`) }))).toEqual({ v: 2 })
    expect(requests).toEqual([{ method: 'GET', ifNoneMatch: undefined }])
    expect(cache.get(['doc'])).toMatchObject({ status: 'success', etag: '"v2"' })
  })
})

describe('fetchJson over HTTP: an error response', () => {
  it('lets go of the body it does not read, so the connection is not held until garbage collection', async () => {
    let closed!: () => void
    const bodyClosed = new Promise<void>((resolve) => (closed = resolve))
    const { url } = await serve((_req, res) => {
      res.on('close', closed)
      // A proxy's or framework's error page, streamed, not yet finished.
      res.writeHead(503, { 'content-type': 'text/html' })
      res.write('<html><body>Service unavailable')
    })
    const error = await within(fetchJson(`${url}/down`)({ key: ['down'], segment: undefined, signal: new AbortController().signal, etag: undefined, modelVersion: undefined })).catch((e: unknown) => e)
    expect(error).toMatchObject({ status: 503, message: expect.stringContaining('answered 503') })
    // Before: the body stayed unread, and the response (and its socket) open, for as long as the server kept it.
    await within(bodyClosed, 2000)
  })
})
