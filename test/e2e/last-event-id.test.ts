// @vitest-environment node
import { createServer, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { createInvalidationHub, memoryStore, type InvalidationHub } from '../../src/server'
import { launchChromium } from './chromium'

// The hub's heartbeat carries the id a client is past when events it may not
// see moved it on (test/server/last-event-id.test.ts). That works only if a
// browser's EventSource takes an id from a frame with no data, as the SSE
// spec says: checked here in Chromium, against the real hub.

let browser: Browser | undefined
let server: Server | undefined
let hub: InvalidationHub | undefined
const written: string[] = []
const lastEventIds: (string | undefined)[] = []

beforeAll(async () => {
  hub = createInvalidationHub({
    store: memoryStore({ retain: 3 }),
    heartbeatMs: 30,
    authorize: async (req) => ({ segments: [new URL(req.url ?? '/', 'http://x').searchParams.get('segment') ?? ''] }),
  })
  const events = hub.handler
  server = createServer((req, res) => {
    if (req.url === '/') {
      res.writeHead(200, { 'Content-Type': 'text/html' })
      return void res.end(
        '<script>window.got=[];new EventSource("/events?segment=A").onmessage=(e)=>window.got.push(JSON.parse(e.data))</script>',
      )
    }
    if (!req.url?.startsWith('/events')) return void res.writeHead(404).end()
    lastEventIds.push(req.headers['last-event-id'] as string | undefined)
    record(res)
    events(req, res)
  })
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve))
  browser = await launchChromium()
})

afterAll(async () => {
  await browser?.close()
  await hub?.close()
  server?.closeAllConnections()
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()))
})

function record(res: ServerResponse): void {
  const write = res.write.bind(res) as (chunk: unknown) => boolean
  res.write = ((chunk: unknown) => {
    written.push(String(chunk))
    return write(chunk)
  }) as typeof res.write
}

describe("Chromium's EventSource", () => {
  it('reconnects with the id of a heartbeat that carried one, and is replayed', async () => {
    const page = await browser!.newPage()
    await page.goto(`http://127.0.0.1:${(server!.address() as AddressInfo).port}/`)
    await page.waitForFunction(() => (window as unknown as { got: unknown[] }).got.length === 1, null, { timeout: 5_000 })
    let newest = ''
    for (let n = 0; n < 5; n++) newest = await hub!.publish({ type: 'invalidate', segment: 'B', tags: [`b${n}`] })
    await vi.waitUntil(() => written.some((frame) => frame === `: ping\nid: ${newest}\n\n`), { timeout: 2_000, interval: 5 })
    // A heartbeat later the frame has surely reached the page; then the connection drops.
    const count = written.length
    await vi.waitUntil(() => written.length > count, { timeout: 2_000, interval: 5 })
    server!.closeAllConnections()
    // EventSource waits the reconnection time the hub set (1–5 s) before it reconnects.
    await vi.waitUntil(() => lastEventIds.length === 2, { timeout: 10_000, interval: 20 })
    expect(lastEventIds).toEqual([undefined, newest])
    await page.waitForFunction(() => (window as unknown as { got: unknown[] }).got.length === 2, null, { timeout: 5_000 })
    const got = await page.evaluate(() => (window as unknown as { got: unknown[] }).got)
    expect(got).toEqual([
      { type: 'sync', replay: 'none' },
      { type: 'sync', replay: 'complete' },
    ])
    await page.close()
  })
})
