import type { IncomingMessage, ServerResponse } from 'node:http'
import type { InvalidationMessage } from '../../src/server/index'
import type { Catalog } from './catalog'
import { HttpError, readJsonObject, sendJson } from './http-json'
import { recommend } from './ranking'
import type { StatsCounter } from './stats'
import { modelName, modelVersions } from './types'
import {
  parseArm,
  parseBoolean,
  parseModelVersion,
  parsePolicy,
  parsePriceCents,
  parseProductId,
  parseUser,
} from './validate'

/** What the API handlers share: the demo's state and the hub to publish through. */
export interface ApiContext {
  catalog: Catalog
  stats: StatsCounter
  /** The model version the "AI" answers with right now. */
  model: { version: string }
  initialModelVersion: string
  /** Simulated inference time of one recommendations call. */
  latencyMs: number
  publish(message: InvalidationMessage): Promise<void>
}

type Handler = (ctx: ApiContext, req: IncomingMessage, res: ServerResponse, params: string[], url: URL) => Promise<void>

interface Route {
  method: 'GET' | 'POST'
  /** Shown in stats and error messages: "POST /api/products/:id/stock". */
  name: string
  pattern: RegExp
  handle: Handler
}

const routes: Route[] = [
  { method: 'GET', name: 'GET /api/recommendations', pattern: /^\/api\/recommendations$/, handle: recommendations },
  { method: 'GET', name: 'GET /api/catalog', pattern: /^\/api\/catalog$/, handle: catalogList },
  { method: 'GET', name: 'GET /api/model', pattern: /^\/api\/model$/, handle: modelInfo },
  { method: 'POST', name: 'POST /api/model', pattern: /^\/api\/model$/, handle: switchModel },
  { method: 'POST', name: 'POST /api/products/:id/stock', pattern: /^\/api\/products\/([^/]*)\/stock$/, handle: setStock },
  { method: 'POST', name: 'POST /api/products/:id/price', pattern: /^\/api\/products\/([^/]*)\/price$/, handle: setPrice },
  { method: 'POST', name: 'POST /api/arms/:arm/bust', pattern: /^\/api\/arms\/([^/]*)\/bust$/, handle: bustArm },
  { method: 'POST', name: 'POST /api/reset', pattern: /^\/api\/reset$/, handle: reset },
  { method: 'GET', name: 'GET /api/stats', pattern: /^\/api\/stats$/, handle: stats },
]

/** Serves one /api/ request (except /api/events, which the hub serves). */
export async function handleApi(ctx: ApiContext, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const matching = routes.filter((route) => route.pattern.test(url.pathname))
  if (matching.length === 0) throw new HttpError(404, `no endpoint ${url.pathname}`)
  const route = matching.find((candidate) => candidate.method === req.method)
  if (!route) {
    const allowed = matching.map((candidate) => candidate.method).join(', ')
    throw new HttpError(405, `${req.method ?? '?'} ${url.pathname} is not allowed; use ${allowed}`)
  }
  ctx.stats.endpoint(route.name)
  const params = route.pattern.exec(url.pathname)?.slice(1) ?? []
  await route.handle(ctx, req, res, params.map(decodeParam), url)
}

function decodeParam(raw: string): string {
  try {
    return decodeURIComponent(raw)
  } catch {
    throw new HttpError(400, `malformed path segment "${raw}"`)
  }
}

async function recommendations(ctx: ApiContext, req: IncomingMessage, res: ServerResponse, _p: string[], url: URL) {
  const user = parseUser(url.searchParams.get('user'))
  const segment = parseArm(url.searchParams.get('segment'))
  ctx.stats.recommendation(segment)
  ctx.stats.modelRun()
  await delay(ctx.latencyMs)
  // Ranked after the "inference", so the answer reflects the catalog as it is
  // when it leaves the server.
  const answer = recommend(ctx.catalog, segment, user, ctx.model.version)
  const headers = { etag: answer.etag, 'x-model-version': answer.modelVersion }
  if (ifNoneMatch(req).includes(answer.etag)) {
    ctx.stats.notModified()
    res.writeHead(304, { ...headers, 'cache-control': 'no-store' })
    res.end()
    return
  }
  sendJson(res, 200, answer, headers)
}

async function catalogList(ctx: ApiContext, _req: IncomingMessage, res: ServerResponse) {
  sendJson(res, 200, { products: ctx.catalog.products() })
}

async function modelInfo(ctx: ApiContext, _req: IncomingMessage, res: ServerResponse) {
  sendJson(res, 200, { model: modelName, version: ctx.model.version, versions: modelVersions })
}

async function switchModel(ctx: ApiContext, req: IncomingMessage, res: ServerResponse) {
  const body = await readJsonObject(req)
  const version = parseModelVersion(body)
  const policy = parsePolicy(body)
  const changed = ctx.model.version !== version
  ctx.model.version = version
  // Every tab's cache learns the new version; with 'immediate' each one
  // refetches its active answers of the old version, with 'lazy' nothing
  // refetches until it would anyway.
  if (changed) await ctx.publish({ type: 'model-version', model: modelName, version, policy })
  sendJson(res, 200, { model: modelName, version, policy, changed })
}

async function setStock(ctx: ApiContext, req: IncomingMessage, res: ServerResponse, [rawId]: string[]) {
  const id = requireProduct(ctx, rawId)
  const inStock = parseBoolean(await readJsonObject(req), 'inStock')
  const changed = ctx.catalog.setStock(id, inStock)
  if (changed) {
    // Out of stock: the lists that show it must never show it again, so their
    // data is removed, not merely marked stale. Back in stock: it may now rank
    // into any list, so every list is revalidated (unchanged ones answer 304).
    await ctx.publish(
      inStock
        ? { type: 'invalidate', key: ['recommendations'], mode: 'stale' }
        : { type: 'invalidate', tags: [`product:${id}`], mode: 'remove' },
    )
    await ctx.publish({ type: 'invalidate', key: ['catalog'], mode: 'stale' })
  }
  sendJson(res, 200, { id, inStock, changed })
}

async function setPrice(ctx: ApiContext, req: IncomingMessage, res: ServerResponse, [rawId]: string[]) {
  const id = requireProduct(ctx, rawId)
  const priceCents = parsePriceCents(await readJsonObject(req))
  const changed = ctx.catalog.setPrice(id, priceCents)
  if (changed) {
    // The ranking ignores price, so only lists that show this product change,
    // and showing the old price while the new one loads is fine.
    await ctx.publish({ type: 'invalidate', tags: [`product:${id}`], mode: 'stale' })
    await ctx.publish({ type: 'invalidate', key: ['catalog'], mode: 'stale' })
  }
  sendJson(res, 200, { id, priceCents, changed })
}

async function bustArm(ctx: ApiContext, _req: IncomingMessage, res: ServerResponse, [rawArm]: string[]) {
  const arm = parseArm(rawArm, 'arm')
  // A segment-scoped event: the hub sends it only to clients granted this arm.
  await ctx.publish({ type: 'invalidate', segment: arm })
  sendJson(res, 200, { arm })
}

async function reset(ctx: ApiContext, _req: IncomingMessage, res: ServerResponse) {
  ctx.catalog.reset()
  const modelChanged = ctx.model.version !== ctx.initialModelVersion
  ctx.model.version = ctx.initialModelVersion
  ctx.stats.reset()
  // The version first, lazily (it marks nothing), then one invalidation of
  // everything: each list refetches once, under the restored version.
  if (modelChanged) {
    await ctx.publish({ type: 'model-version', model: modelName, version: ctx.model.version, policy: 'lazy' })
  }
  await ctx.publish({ type: 'invalidate', all: true, mode: 'stale' })
  sendJson(res, 200, { version: ctx.model.version })
}

async function stats(ctx: ApiContext, _req: IncomingMessage, res: ServerResponse) {
  sendJson(res, 200, ctx.stats.snapshot())
}

function requireProduct(ctx: ApiContext, rawId: string | undefined): number {
  const id = parseProductId(rawId)
  if (!ctx.catalog.has(id)) throw new HttpError(404, `no product ${id}`)
  return id
}

/** The entity tags of an If-None-Match header ("*" matches nothing here: there is always a body). */
function ifNoneMatch(req: IncomingMessage): string[] {
  const header = req.headers['if-none-match']
  if (!header) return []
  return header.split(',').map((tag) => tag.trim().replace(/^W\//, ''))
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
