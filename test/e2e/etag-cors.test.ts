// @vitest-environment node
// fetchJson in a real browser (Chromium) against a cross-origin API on the
// loopback interface: the page on one port, the API on another (two origins).
// If-None-Match is not a CORS-safelisted header, so a revalidation needs a
// preflight that allows it; the first request, without it, needs none.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import type { Browser, Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { launchChromium } from './chromium'

const root = fileURLToPath(new URL('../../', import.meta.url))
let browser: Browser | undefined
let script = ''

beforeAll(async () => {
  const [built, launched] = await Promise.all([
    build({
      stdin: {
        contents: "import { createCache } from './src/core/cache'\nimport { fetchJson } from './src/core/fetch-json'\nObject.assign(window, { cachet: { createCache, fetchJson } })",
        resolveDir: root,
        loader: 'ts',
      },
      bundle: true,
      write: false,
      format: 'iife',
      platform: 'browser',
      target: 'es2022',
      logLevel: 'silent',
    }),
    launchChromium(),
  ])
  script = built.outputFiles[0]!.text
  browser = launched
})

afterAll(async () => {
  await browser?.close()
})

const servers: Server[] = []
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  }
})

async function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  const server = createServer(handler)
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

/**
 * The API: `"e1"` with 200, 304 to a request that names it. It exposes ETag to
 * other origins (as the docs ask); `preflight` says whether it also answers
 * the CORS preflight that allows If-None-Match.
 */
async function api(preflight: boolean) {
  const requests: string[] = []
  const url = await listen((req, res) => {
    requests.push(`${req.method} if-none-match=${req.headers['if-none-match'] ?? '-'}`)
    const cors = { 'access-control-allow-origin': '*', 'access-control-expose-headers': 'ETag' }
    if (req.method === 'OPTIONS') {
      if (preflight) res.writeHead(204, { ...cors, 'access-control-allow-headers': 'If-None-Match', 'access-control-allow-methods': 'GET' })
      else res.writeHead(404, { 'content-type': 'text/plain' })
      res.end()
      return
    }
    const headers = { ...cors, etag: '"e1"', 'cache-control': 'no-store' }
    if (req.headers['if-none-match'] === '"e1"') {
      res.writeHead(304, headers)
      res.end()
      return
    }
    res.writeHead(200, { ...headers, 'content-type': 'application/json' })
    res.end('{"title":"a"}')
  })
  return { url: `${url}/doc`, requests }
}

async function openPage(): Promise<Page> {
  const origin = await listen((req, res) => {
    if (req.url === '/cachet.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' })
      res.end(script)
    } else {
      res.writeHead(200, { 'content-type': 'text/html' })
      res.end('<!doctype html><link rel="icon" href="data:,"><script src="/cachet.js"></script>')
    }
  })
  const page = await browser!.newPage()
  await page.goto(`${origin}/`)
  return page
}

/** In the page: fetch, invalidate, fetch again; what the second fetch gave. */
function fetchTwice(page: Page, url: string) {
  return page.evaluate(async (url) => {
    const { createCache, fetchJson } = (window as unknown as { cachet: typeof import('../../src/index') }).cachet
    const cache = createCache({ retry: 0 })
    const query = { key: ['doc'], fetcher: fetchJson<{ title: string }>(url) }
    const first = await cache.fetch(query)
    await cache.invalidate({ key: ['doc'] })
    try {
      const second = await cache.fetch(query)
      const entry = cache.get(['doc'])!
      return { title: second.title, same: first === second, status: entry.status, etag: entry.etag, error: undefined }
    } catch (error) {
      return { error: String(error) }
    }
  }, url)
}

describe('fetchJson across origins (Chromium)', () => {
  it('a revalidation to an API that allows If-None-Match in its preflight is answered 304', async () => {
    const { url, requests } = await api(true)
    const page = await openPage()
    try {
      expect(await fetchTwice(page, url)).toEqual({ title: 'a', same: true, status: 'success', etag: '"e1"', error: undefined })
      expect(requests).toEqual(['GET if-none-match=-', 'OPTIONS if-none-match=-', 'GET if-none-match="e1"'])
    } finally {
      await page.close()
    }
  })

  it('an API that exposes ETag but refuses If-None-Match in its preflight still answers the refetch (a 200)', async () => {
    const { url, requests } = await api(false)
    const page = await openPage()
    try {
      // Before: the preflight failed, so every refetch after the first load
      // failed with "TypeError: Failed to fetch".
      expect(await fetchTwice(page, url)).toEqual({ title: 'a', same: false, status: 'success', etag: '"e1"', error: undefined })
      expect(requests).toEqual(['GET if-none-match=-', 'OPTIONS if-none-match=-', 'GET if-none-match=-'])
    } finally {
      await page.close()
    }
  })
})
