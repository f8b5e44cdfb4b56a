import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createInvalidationHub, memoryStore, redisStore, type EventStore, type InvalidationMessage } from '../../src/server/index'
import { handleApi, type ApiContext } from './api'
import { buildPage, type PageBundle } from './build'
import { Catalog } from './catalog'
import { HttpError, sendError } from './http-json'
import { renderPage } from './page'
import { StatsCounter } from './stats'
import type { ServerStats } from './types'
import { parseArm } from './validate'

export interface DemoServerOptions {
  /** 0 (the default) picks a free port. */
  port?: number
  /** Default 127.0.0.1: the demo is not meant to be reachable from the network. */
  host?: string
  /** `redis://…`: keep invalidation events in Redis Streams instead of memory. */
  redisUrl?: string | undefined
  /** Simulated model latency of one recommendations call. Default 350 ms. */
  latencyMs?: number
  /** The bundled page; built with esbuild when not given. */
  bundle?: PageBundle
}

export interface DemoServer {
  /** `http://127.0.0.1:<port>` */
  url: string
  store: 'memory' | 'redis'
  /** The calls served so far (reset by `POST /api/reset`). */
  stats(): ServerStats
  close(): Promise<void>
}

const initialModelVersion = 'r1'

export async function startDemoServer(options: DemoServerOptions = {}): Promise<DemoServer> {
  const host = options.host ?? '127.0.0.1'
  const bundle = options.bundle ?? (await buildPage())
  const storeKind = options.redisUrl ? 'redis' : 'memory'
  const stats = new StatsCounter()
  const hub = createInvalidationHub({
    store: options.redisUrl ? await reachableRedisStore(options.redisUrl) : memoryStore(),
    authorize: grantRequestedArms,
  })
  const ctx: ApiContext = {
    catalog: new Catalog(),
    stats,
    model: { version: initialModelVersion },
    initialModelVersion,
    latencyMs: options.latencyMs ?? 350,
    async publish(message: InvalidationMessage) {
      await hub.publish(message)
      stats.published()
    },
  }

  const server = createServer((req, res) => {
    serve(req, res).catch((error: unknown) => answerError(res, error))
  })

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://demo.invalid')
    if (url.pathname === '/api/events') {
      if (req.method !== 'GET') throw new HttpError(405, 'GET /api/events only')
      stats.endpoint('GET /api/events')
      // Checked here, before the hub, so a typo gets a 400 that says what is wrong.
      requestedArms(url)
      hub.handler(req, res)
      return
    }
    if (url.pathname.startsWith('/api/')) return handleApi(ctx, req, res, url)
    if (req.method !== 'GET' && req.method !== 'HEAD') throw new HttpError(405, 'the page is read-only')
    if (url.pathname === '/' || url.pathname === '/index.html') {
      return sendText(res, 'text/html', renderPage({ modelVersion: ctx.model.version, store: storeKind }))
    }
    if (url.pathname === '/app.js') return sendText(res, 'text/javascript', bundle.js)
    if (url.pathname === '/app.js.map') return sendText(res, 'application/json', bundle.map)
    throw new HttpError(404, `no page ${url.pathname}`)
  }

  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(options.port ?? 0, host, () => {
        server.off('error', reject)
        resolve()
      })
    })
  } catch (error) {
    // The port was taken: release the hub's store (a Redis connection) too.
    await hub.close()
    throw error
  }
  const { port } = server.address() as AddressInfo

  return {
    url: `http://${host}:${port}`,
    store: storeKind,
    stats: () => stats.snapshot(),
    async close() {
      // The hub first: it ends the SSE streams, which would otherwise keep
      // server.close() waiting forever.
      await hub.close()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

/**
 * A Redis store that has answered once. Without this check, a demo started
 * with REDIS_URL and no redis-server running would print its URL and then
 * answer every change with a 500 (the hub cannot store the event).
 */
async function reachableRedisStore(url: string): Promise<EventStore> {
  const store = redisStore({ url, stream: 'cachet:demo' })
  try {
    await store.lastId()
    return store
  } catch (error) {
    await store.close()
    // The store's message names the URL (its password masked).
    const reason = error instanceof Error ? error.message : String(error)
    throw new Error(`${reason}. Start redis-server there, or run the demo without REDIS_URL (an in-memory hub).`, { cause: error })
  }
}

/**
 * The demo has no accounts, so no real authorization: a client gets the arms
 * it asks for with `?segments=arm-a,arm-b`. A real app would read the user's
 * experiment assignment from its session here. Naming none gets unsegmented
 * events only.
 */
async function grantRequestedArms(req: IncomingMessage) {
  return { segments: requestedArms(new URL(req.url ?? '/', 'http://demo.invalid')) }
}

function requestedArms(url: URL): string[] {
  const requested = (url.searchParams.get('segments') ?? '').split(',').filter((name) => name !== '')
  for (const name of requested) parseArm(name, 'segments')
  return requested
}

function sendText(res: ServerResponse, type: string, body: string): void {
  res.writeHead(200, {
    'content-type': `${type}; charset=utf-8`,
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
  })
  res.end(body)
}

function answerError(res: ServerResponse, error: unknown): void {
  const known = error instanceof HttpError
  if (!known) console.error('demo server:', error)
  if (res.headersSent) {
    res.destroy()
    return
  }
  sendError(res, known ? error.status : 500, known ? error.message : 'internal error')
}
