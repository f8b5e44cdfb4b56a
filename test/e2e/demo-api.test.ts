// @vitest-environment node
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startDemoServer, type DemoServer } from '../../examples/ai-recommendations/server'

// The demo's HTTP API on its own (no browser): malformed requests get a 4xx
// with a JSON `{ error }` that says what was wrong, and the server keeps serving.

let server: DemoServer

beforeAll(async () => {
  // A stub page: these tests never load it.
  server = await startDemoServer({ bundle: { js: '', map: '{}' }, latencyMs: 0 })
})

afterAll(async () => {
  await server?.close()
})

const json = { 'content-type': 'application/json' }

const malformed: [string, string, RequestInit | undefined, number][] = [
  ['no user', '/api/recommendations?segment=arm-a', undefined, 400],
  ['a user with odd characters', '/api/recommendations?user=%3Cscript%3E&segment=arm-a', undefined, 400],
  ['an unknown arm', '/api/recommendations?user=ada&segment=arm-z', undefined, 400],
  ['no segment', '/api/recommendations?user=ada', undefined, 400],
  ['a body that is not JSON', '/api/products/1/stock', { method: 'POST', headers: json, body: '{oops' }, 400],
  ['a JSON array body', '/api/products/1/stock', { method: 'POST', headers: json, body: '[true]' }, 400],
  ['a string for inStock', '/api/products/1/stock', { method: 'POST', headers: json, body: '{"inStock":"no"}' }, 400],
  ['a product id that is not a number', '/api/products/one/stock', { method: 'POST', headers: json, body: '{"inStock":false}' }, 400],
  ['a broken percent-escape', '/api/products/%E0%A4%A/stock', { method: 'POST', headers: json, body: '{"inStock":false}' }, 400],
  ['a negative price', '/api/products/1/price', { method: 'POST', headers: json, body: '{"priceCents":-5}' }, 400],
  ['a fractional price', '/api/products/1/price', { method: 'POST', headers: json, body: '{"priceCents":1.5}' }, 400],
  ['an unknown model version', '/api/model', { method: 'POST', headers: json, body: '{"version":"r99"}' }, 400],
  ['an unknown policy', '/api/model', { method: 'POST', headers: json, body: '{"version":"r2","policy":"later"}' }, 400],
  ['busting an unknown arm', '/api/arms/arm-z/bust', { method: 'POST', headers: json, body: '{}' }, 400],
  ['events for an unknown arm', '/api/events?segments=arm-a,arm-z', undefined, 400],
  ['an unknown product', '/api/products/999/stock', { method: 'POST', headers: json, body: '{"inStock":false}' }, 404],
  ['an unknown endpoint', '/api/nope', undefined, 404],
  ['a wrong method', '/api/model', { method: 'DELETE' }, 405],
  ['a body that is not JSON by type', '/api/products/1/price', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{"priceCents":100}' }, 415],
  ['an oversized body', '/api/products/1/price', { method: 'POST', headers: json, body: `{"pad":"${'x'.repeat(40_000)}"}` }, 413],
]

describe('demo API', () => {
  it.each(malformed)('answers %s with a JSON error', async (_name, path, init, status) => {
    const response = await fetch(`${server.url}${path}`, init)
    expect(response.status).toBe(status)
    expect(response.headers.get('content-type')).toMatch(/^application\/json/)
    const body = (await response.json()) as { error?: unknown }
    expect(typeof body.error).toBe('string')
  })

  it('keeps serving after every malformed request, and changed nothing', async () => {
    const response = await fetch(`${server.url}/api/recommendations?user=ada&segment=arm-a`)
    expect(response.status).toBe(200)
    const answer = (await response.json()) as { modelVersion: string; products: { priceCents: number }[] }
    expect(answer.modelVersion).toBe('r1')
    expect(answer.products).toHaveLength(4)
    const catalog = (await (await fetch(`${server.url}/api/catalog`)).json()) as {
      products: { id: number; priceCents: number; inStock: boolean }[]
    }
    expect(catalog.products.find((product) => product.id === 1)).toMatchObject({ priceCents: 12900, inStock: true })
  })

  it('answers a matching If-None-Match with 304 and no body', async () => {
    const first = await fetch(`${server.url}/api/recommendations?user=ada&segment=arm-b`)
    const etag = first.headers.get('etag')
    expect(etag).toMatch(/^".+"$/)
    const second = await fetch(`${server.url}/api/recommendations?user=ada&segment=arm-b`, {
      headers: { 'if-none-match': etag ?? '' },
    })
    expect(second.status).toBe(304)
    expect(await second.text()).toBe('')
    expect(server.stats().notModified).toBe(1)
  })
})
