/**
 * `npm run check:dist` (after `npm run build`): runs the built package, not the
 * source. The tests import `src/`, but the build shortens internal member
 * names (`mangleProps` in tsup.config.ts); a name shortened in one place and
 * not another would pass every test and still ship broken. This drives the
 * engine through `dist/index.js` (ESM), `dist/index.cjs` (CJS) and
 * `dist/server/index.js` for real: fetches, invalidations, timers, React
 * hooks in a jsdom window, and the invalidation hub over HTTP on 127.0.0.1.
 * Every wait is bounded; any mismatch exits 1.
 *
 *   node --import tsx bench/dist-smoke.ts
 */
import assert from 'node:assert/strict'
import { get, createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { EventSource } from 'eventsource'
import { createElement, useState } from 'react'

// Typed from the source (the same public API), so `npm run typecheck` does
// not need a build.
type Cachet = typeof import('../src/index')
type CachetServer = typeof import('../src/server/index')
type Invalidate = import('../src/index').Invalidate
type Schema = import('../src/index').Schema<unknown>

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const WAIT_MS = 5_000

// Nothing here may hang CI: the whole run gets a minute.
setTimeout(() => {
  console.error('dist-smoke: timed out after 60 s')
  process.exit(1)
}, 60_000).unref()

// ---- helpers ------------------------------------------------------------

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/** Resolves once `condition` holds; fails naming `what` after `ms`. */
async function until(condition: () => boolean, what: string, ms = WAIT_MS): Promise<void> {
  const end = Date.now() + ms
  while (!condition()) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`)
    await sleep(5)
  }
}

interface Deferred<T> {
  promise: Promise<T>
  resolve: (value: T) => void
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void
  const promise = new Promise<T>((r) => (resolve = r))
  return { promise, resolve }
}

let failures = 0

async function scenario(name: string, run: () => Promise<void> | void): Promise<void> {
  try {
    await run()
    console.log(`  ok   ${name}`)
  } catch (error) {
    failures++
    console.error(`  FAIL ${name}\n${error instanceof Error ? (error.stack ?? error.message) : String(error)}`)
  }
}

// ---- the engine, through the public API ---------------------------------

async function core(m: Cachet): Promise<void> {
  await scenario('dedup: concurrent fetches of one key run the fetcher once', async () => {
    const cache = m.createCache({ staleTime: 60_000 })
    let runs = 0
    const gate = deferred<string>()
    const query = { key: ['product', 1], fetcher: () => (runs++, gate.promise) }
    const first = cache.fetch(query)
    const second = cache.fetch(query)
    gate.resolve('p1')
    assert.deepEqual(await Promise.all([first, second]), ['p1', 'p1'])
    assert.equal(runs, 1)
    assert.equal(await cache.fetch(query), 'p1', 'fresh data is served from the cache')
    assert.equal(runs, 1)
    const stats = cache.stats()
    assert.deepEqual(
      { fetches: stats.fetches, deduped: stats.deduped, hits: stats.hits, misses: stats.misses, entries: stats.entries },
      { fetches: 1, deduped: 1, hits: 1, misses: 2, entries: 1 },
    )
  })

  await scenario('stale-while-revalidate: stale data stays visible while the refetch runs', async () => {
    const cache = m.createCache() // staleTime 0: stale at once
    const answers = [deferred<string>(), deferred<string>()]
    let runs = 0
    const query = { key: ['swr'], fetcher: () => answers[runs++]!.promise }
    const first = cache.fetch(query)
    answers[0]!.resolve('old')
    await first
    assert.equal(cache.get(['swr'])?.isStale, true)
    const second = cache.fetch(query)
    const during = cache.get<string>(['swr'])
    assert.equal(during?.data, 'old')
    assert.equal(during?.isFetching, true)
    answers[1]!.resolve('new')
    assert.equal(await second, 'new')
    assert.equal(cache.get(['swr'])?.isFetching, false)
  })

  await scenario('invalidate by tag, segment, key prefix, exact key, model and version; remove mode', async () => {
    const seed = () => {
      const cache = m.createCache({ staleTime: 60_000, models: { recommender: 'r1' } })
      cache.set(['recs', 1], 'a', { segment: 'arm:a', tags: ['product:1'], model: 'recommender' })
      cache.set(['recs', 2], 'b', { segment: 'arm:b', tags: ['product:2'] })
      cache.set(['user', 1], 'u', { tags: ['product:1'] })
      return cache
    }
    const stale = (cache: ReturnType<Cachet['createCache']>) =>
      [cache.get(['recs', 1], 'arm:a'), cache.get(['recs', 2], 'arm:b'), cache.get(['user', 1])].map((e) => e?.isStale)
    const cases: [import('../src/index').InvalidationTarget, number, (boolean | undefined)[]][] = [
      [{ tags: ['product:1'] }, 2, [true, false, true]],
      [{ segment: 'arm:b' }, 1, [false, true, false]],
      [{ key: ['recs'] }, 2, [true, true, false]],
      [{ key: ['recs'], exact: true }, 0, [false, false, false]],
      [{ key: ['user', 1], exact: true }, 1, [false, false, true]],
      [{ model: 'recommender' }, 1, [true, false, false]],
      [{ model: 'recommender', modelVersion: 'r1' }, 1, [true, false, false]],
      [{ predicate: (entry) => entry.data === 'b' }, 1, [false, true, false]],
    ]
    for (const [target, count, expected] of cases) {
      const cache = seed()
      assert.deepEqual(stale(cache), [false, false, false])
      assert.equal(await cache.invalidate(target), count, JSON.stringify(target))
      assert.deepEqual(stale(cache), expected, JSON.stringify(target))
    }
    const cache = seed()
    assert.equal(await cache.invalidate({ tags: ['product:2'] }, { mode: 'remove' }), 1)
    const removed = cache.get(['recs', 2], 'arm:b')
    assert.equal(removed?.data, undefined)
    assert.equal(removed?.status, 'pending')
  })

  await scenario('model versions: immediate invalidates that model only; refetches are stamped', async () => {
    const cache = m.createCache({ staleTime: 60_000, models: { recommender: 'r1' } })
    const seen: (string | undefined)[] = []
    const recs = {
      key: ['recs'],
      model: 'recommender',
      fetcher: async (ctx: { modelVersion: string | undefined }) => (seen.push(ctx.modelVersion), `by ${ctx.modelVersion}`),
    }
    await cache.fetch(recs)
    await cache.fetch({ key: ['other'], model: 'ranker', fetcher: async () => 'x' })
    await cache.fetch({ key: ['plain'], fetcher: async () => 'y' })
    assert.equal(cache.get(['recs'])?.modelVersion, 'r1')
    cache.setModelVersion('recommender', 'r2', { policy: 'immediate' })
    assert.deepEqual([cache.get(['recs'])?.isStale, cache.get(['other'])?.isStale, cache.get(['plain'])?.isStale], [true, false, false])
    assert.equal(await cache.fetch(recs), 'by r2')
    assert.equal(cache.get(['recs'])?.modelVersion, 'r2')
    cache.setModelVersion('recommender', 'r3') // lazy: nothing goes stale
    assert.equal(cache.get(['recs'])?.isStale, false)
    assert.deepEqual(seen, ['r1', 'r2'])
  })

  await scenario('no stale overwrite: a fetch that lands after set() is dropped', async () => {
    const cache = m.createCache({ staleTime: 60_000 })
    const late = deferred<string>()
    const pending = cache.fetch({ key: ['late'], fetcher: () => late.promise })
    cache.set(['late'], 'written')
    late.resolve('from before the write')
    assert.equal(await pending, 'written')
    assert.equal(cache.get(['late'])?.data, 'written')
  })

  await scenario('schema failure: error names key and path, last good data kept, onError told', async () => {
    const errors: Error[] = []
    const cache = m.createCache({ onError: (error) => errors.push(error), retry: 0 })
    const schema: Schema = {
      safeParse: (x) =>
        typeof (x as { price?: unknown }).price === 'number'
          ? { success: true, data: x }
          : { success: false, error: { issues: [{ path: ['price'], message: 'Expected number' }] } },
    }
    let answer: unknown = { price: 1 }
    const query = { key: ['p', 1], schema, fetcher: async () => answer }
    await cache.fetch(query)
    answer = { price: 'free' }
    await assert.rejects(cache.fetch(query), /\["p",1\].*data\.price: Expected number/)
    const entry = cache.get(['p', 1])
    assert.equal(entry?.status, 'error')
    assert.deepEqual(entry?.data, { price: 1 })
    assert.equal(errors.length, 1)
    assert.equal(cache.stats().errors, 1)
  })

  await scenario('errors: a thrown non-Error is wrapped; a 404 is not retried', async () => {
    const cache = m.createCache({ retry: 0 })
    await assert.rejects(
      cache.fetch({ key: ['thrown'], fetcher: () => Promise.reject('plain string') }),
      (error: unknown) => error instanceof Error && /\["thrown"\].*non-Error/.test(error.message),
    )
    let runs = 0
    const notFound = Object.assign(new Error('not found'), { status: 404 })
    await assert.rejects(cache.fetch({ key: ['404'], retry: 3, fetcher: () => (runs++, Promise.reject(notFound)) }), /not found/)
    assert.equal(runs, 1)
  })

  await scenario('ETag: the fetcher sees the etag; notModified keeps the same data and refreshes updatedAt', async () => {
    let now = 1_000
    const cache = m.createCache({ now: () => now })
    const etags: (string | undefined)[] = []
    const body = { big: 'payload' }
    const query = {
      key: ['etag'],
      fetcher: async (ctx: { etag: string | undefined }) => {
        etags.push(ctx.etag)
        return ctx.etag === 'W/"1"' ? m.notModified : m.versioned(body, 'W/"1"')
      },
    }
    await cache.fetch(query)
    const first = cache.get(['etag'])
    now = 2_000
    assert.equal(await cache.fetch(query), body)
    const second = cache.get(['etag'])
    assert.deepEqual(etags, [undefined, 'W/"1"'])
    assert.equal(second?.data, first?.data)
    assert.equal(second?.etag, 'W/"1"')
    assert.equal(second?.updatedAt, 2_000)
  })

  await scenario('concurrency: maxConcurrentFetches queues the rest first in, first out', async () => {
    const cache = m.createCache({ maxConcurrentFetches: 1 })
    const gates = [deferred<number>(), deferred<number>(), deferred<number>()]
    const started: number[] = []
    const fetches = gates.map((gate, i) => cache.fetch({ key: ['q', i], fetcher: () => (started.push(i), gate.promise) }))
    await sleep(0)
    assert.deepEqual(started, [0])
    assert.deepEqual([cache.stats().inFlight, cache.stats().queued], [1, 2])
    gates.forEach((gate, i) => gate.resolve(i))
    assert.deepEqual(await Promise.all(fetches), [0, 1, 2])
    assert.deepEqual(started, [0, 1, 2])
  })

  await scenario('gc: an unobserved entry goes gcTime after its last fetch; events are sent', async () => {
    const cache = m.createCache({ gcTime: 20 })
    const events: string[] = []
    const off = cache.subscribe((event) => events.push(event.type))
    await cache.fetch({ key: ['short-lived'], fetcher: async () => 1 })
    assert.equal(cache.get(['short-lived'])?.data, 1)
    await until(() => cache.get(['short-lived']) === undefined, 'gc to remove the entry')
    assert.equal(cache.stats().entries, 0)
    assert.ok(events.includes('added') && events.includes('removed'), events.join(','))
    off()
    cache.set(['x'], 1)
    cache.clear()
    assert.equal(cache.stats().entries, 0)
  })

  await scenario('bad input: keys and options name what was wrong', () => {
    const cache = m.createCache()
    assert.throws(() => cache.get(['a', { at: new Date() }]), /key\[1\]\.at: Date is not a JSON value/)
    assert.throws(() => m.createCache({ staleTime: -1 }), /createCache: staleTime must be a number >= 0 \(ms\), got -1/)
    assert.throws(() => cache.invalidate({}, { mode: 'drop' as 'stale' }), /mode/)
  })
}

// ---- React: CacheProvider, useCachedQuery, useInvalidate in jsdom -------

async function react(m: Cachet, label: string): Promise<void> {
  const { createRoot } = await import('react-dom/client')
  const { fireFocus } = await import('./dom')

  await scenario('hooks: mount fetches, invalidation refetches the observer, focus refetches, unmount aborts', async () => {
    const cache = m.createCache({ models: { recommender: 'r1' } })
    let runs = 0
    let gate: Deferred<string> | undefined
    let lastSignal: AbortSignal | undefined
    let invalidate: Invalidate | undefined
    let showOther: ((show: boolean) => void) | undefined

    function Product() {
      invalidate = m.useInvalidate()
      const query = m.useCachedQuery({
        key: ['product', 1],
        tags: ['product:1'],
        model: 'recommender',
        fetcher: async (ctx) => {
          runs++
          lastSignal = ctx.signal
          if (gate) return gate.promise
          return `v${runs} by ${ctx.modelVersion}`
        },
        select: (data: string) => data.toUpperCase(),
      })
      return createElement('p', { id: `product-${label}` }, `${query.status}|${query.data ?? '-'}|${query.isFetching}`)
    }
    function Slow() {
      const query = m.useCachedQuery({ key: ['slow'], fetcher: (ctx) => ((lastSignal = ctx.signal), new Promise<string>(() => {})) })
      return createElement('p', null, query.status)
    }
    function App() {
      const [other, setOther] = useState(false)
      showOther = setOther
      return createElement(m.CacheProvider, { cache, segment: 'arm:a' }, createElement(Product), other ? createElement(Slow) : null)
    }

    const container = document.createElement('div')
    document.body.appendChild(container)
    const view = createRoot(container)
    const text = () => container.textContent ?? ''
    view.render(createElement(App))
    await until(() => text() === 'success|V1 BY R1|false', `the first render with data (got ${text()})`)
    assert.equal(cache.get(['product', 1], 'arm:a')?.data, 'v1 by r1', 'the provider segment applies')

    // Active observers refetch in the background, and invalidate() waits for them.
    assert.equal(await invalidate!({ tags: ['product:1'] }), 1)
    await until(() => text() === 'success|V2 BY R1|false', `the refetch after a tag invalidation (got ${text()})`)
    assert.equal(await invalidate!({ key: ['product'], segment: 'arm:a' }), 1)
    await until(() => text().startsWith('success|V3'), `the refetch after a key/segment invalidation (got ${text()})`)
    cache.setModelVersion('recommender', 'r2', { policy: 'immediate' })
    await until(() => text() === 'success|V4 BY R2|false', `the refetch after a model switch (got ${text()})`)

    // Stale (staleTime 0) and the window regains focus: refetch.
    fireFocus()
    await until(() => runs === 5 && text().startsWith('success|V5'), `a refetch on focus (got ${text()})`)

    // Stale-while-revalidate as the component sees it.
    gate = deferred<string>()
    fireFocus()
    await until(() => text() === 'success|V5 BY R2|true', `isFetching with the old data shown (got ${text()})`)
    gate.resolve('v6')
    await until(() => text() === 'success|V6|false', `the new data (got ${text()})`)
    gate = undefined

    // The last observer leaves a fetch in flight: its signal aborts.
    showOther!(true)
    await until(() => lastSignal !== undefined && cache.get(['slow'], 'arm:a')?.isFetching === true, 'the slow fetch to start')
    const slowSignal = lastSignal!
    showOther!(false)
    await until(() => slowSignal.aborted, 'the abandoned fetch to be aborted')
    assert.equal(cache.get(['slow'], 'arm:a')?.isFetching, false)

    view.unmount()
    container.remove()
    const stats = cache.stats()
    assert.equal(stats.fetches, 7)
    assert.equal(stats.errors, 0)
  })

  await scenario('useMutation: optimistic write keeps the model and owes the invalidation it dropped; targets all or none', async () => {
    const cache = m.createCache({ staleTime: 60_000, models: { recommender: 'r1' } })
    let runs = 0
    let gate: Deferred<string[]> | undefined
    let hide: ((item: string) => Promise<string>) | undefined
    let hideBadly: ((item: string) => Promise<string>) | undefined
    function Recs() {
      const query = m.useCachedQuery({
        key: ['recs'],
        tags: ['recs'],
        model: 'recommender',
        fetcher: async () => (runs++, gate ? gate.promise : runs === 1 ? ['lamp', 'sofa'] : ['sofa', 'desk']),
      })
      const optimistic = { key: ['recs'], update: (old: unknown, item: string) => (old as string[]).filter((x) => x !== item) }
      hide = m.useMutation({ mutationFn: async (item: string) => item, optimistic, invalidates: [{ key: ['nothing'] }, { tags: ['none'] }] }).mutateAsync
      hideBadly = m.useMutation({ mutationFn: async (item: string) => item, optimistic, invalidates: [{ tags: ['recs'] }, { queryKey: ['x'] } as never] }).mutateAsync
      return createElement('p', null, (query.data ?? []).join(','))
    }
    const container = document.createElement('div')
    document.body.appendChild(container)
    const view = createRoot(container)
    const text = () => container.textContent ?? ''
    view.render(createElement(m.CacheProvider, { cache }, createElement(Recs)))
    await until(() => text() === 'lamp,sofa', `the first render (got ${text()})`)

    // A bad target: the call fails, nothing is marked, the optimistic change is rolled back.
    await assert.rejects(hideBadly!('lamp'), /queryKey/)
    assert.deepEqual(cache.get(['recs'])?.data, ['lamp', 'sofa'])
    assert.equal(cache.get(['recs'])?.isStale, false)

    // An invalidation's refetch is in flight when the optimistic write drops it: owed.
    gate = deferred<string[]>()
    void cache.invalidate({ key: ['recs'] })
    await until(() => runs === 2, 'the refetch to start')
    const done = hide!('lamp')
    assert.deepEqual(cache.get(['recs']), { ...cache.get(['recs']), data: ['sofa'], model: 'recommender', modelVersion: 'r1' })
    gate.resolve(['lamp', 'sofa', 'old'])
    gate = undefined
    assert.equal(await done, 'lamp')
    await until(() => text() === 'sofa,desk', `the owed refetch (got ${text()})`)
    assert.equal(runs, 3)
    view.unmount()
    container.remove()
  })
}

// ---- the invalidation hub (cachet/server) over real HTTP ----------------

interface RawStream {
  messages(): { id: string | undefined; message: Record<string, unknown> }[]
  close(): void
}

/** A bare SSE reader: keeps what arrived, split into `id:` / `data:` frames. */
function openRaw(url: string, headers: Record<string, string> = {}): Promise<RawStream> {
  return new Promise((resolve, reject) => {
    const request = get(url, { headers }, (response) => {
      let raw = ''
      response.setEncoding('utf8')
      response.on('data', (chunk: string) => (raw += chunk))
      resolve({
        messages: () =>
          raw
            .split('\n\n')
            .slice(0, -1)
            .map((frame) => {
              const lines = frame.split('\n')
              const id = lines.find((line) => line.startsWith('id: '))?.slice(4)
              const data = lines.find((line) => line.startsWith('data: '))?.slice(6)
              return { id, data }
            })
            .filter((frame) => frame.data !== undefined)
            .map((frame) => ({ id: frame.id, message: JSON.parse(frame.data!) as Record<string, unknown> })),
        close: () => request.destroy(),
      })
    })
    request.on('error', reject)
    request.setTimeout(WAIT_MS, () => request.destroy(new Error(`no response from ${url}`)))
  })
}

async function hub(server: CachetServer, clients: [string, Cachet][]): Promise<void> {
  const hub = server.createInvalidationHub({ store: server.memoryStore({ retain: 100 }), heartbeatMs: 60_000 })
  const http: Server = createServer(hub.handler)
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}/events`
  const streams: RawStream[] = []
  try {
    await scenario('hub: publish, replay after Last-Event-ID, then sync', async () => {
      const first = await hub.publish({ type: 'invalidate', tags: ['product:1'] })
      const second = await hub.publish({ type: 'model-version', model: 'recommender', version: 'r2', policy: 'lazy' })
      await assert.rejects(hub.publish({ type: 'invalidate' } as never), 'a message that targets nothing is refused')

      const fresh = await openRaw(url)
      streams.push(fresh)
      await until(() => fresh.messages().length >= 1, 'the first message of a new connection')
      assert.deepEqual(fresh.messages()[0]!.message, { type: 'sync', replay: 'none' })

      const resumed = await openRaw(url, { 'Last-Event-ID': first })
      streams.push(resumed)
      await until(() => resumed.messages().length >= 2, 'the replay and its sync')
      const [replayed, sync] = resumed.messages()
      assert.equal(replayed!.id, second)
      assert.equal(replayed!.message.type, 'model-version')
      assert.deepEqual(sync!.message, { type: 'sync', replay: 'complete' })
    })

    for (const [label, m] of clients) {
      await scenario(`hub -> connectInvalidations (${label}): invalidate and set reach the cache`, async () => {
        const errors: Error[] = []
        const cache = m.createCache({ staleTime: 60_000, onError: (error) => errors.push(error) })
        cache.set(['recs', 42], 'cached', { tags: ['product:42'] })
        const connection = m.connectInvalidations(cache, { url, eventSourceImpl: EventSource })
        try {
          await until(() => connection.state === 'open', 'the stream to open')
          await hub.publish({ type: 'invalidate', tags: ['product:42'] })
          await until(() => cache.get(['recs', 42])?.isStale === true, 'the published invalidation')
          await hub.publish({ type: 'set', key: ['recs', 43], data: { from: 'hub' } })
          await until(() => cache.get(['recs', 43]) !== undefined, 'the published set')
          assert.deepEqual(cache.get(['recs', 43])?.data, { from: 'hub' })
          assert.deepEqual(errors, [])
        } finally {
          connection.close()
        }
      })
    }
  } finally {
    for (const stream of streams) stream.close()
    await hub.close()
    await new Promise<void>((resolve) => http.close(() => resolve()))
  }
}

// ---- run ----------------------------------------------------------------

const esm = (await import(pathToFileURL(join(root, 'dist/index.js')).href)) as Cachet
const cjs = createRequire(import.meta.url)(join(root, 'dist/index.cjs')) as Cachet
const server = (await import(pathToFileURL(join(root, 'dist/server/index.js')).href)) as CachetServer

for (const [label, m] of [['dist/index.js', esm], ['dist/index.cjs', cjs]] as const) {
  console.log(`${label}: core`)
  await core(m)
}
console.log('dist/server/index.js: hub')
await hub(server, [['esm', esm], ['cjs', cjs]])

// React decides at import time whether it has a DOM: install it first.
const { installDom } = await import('./dom')
installDom()
for (const [label, m] of [['esm', esm], ['cjs', cjs]] as const) {
  console.log(`dist (${label}): React hooks`)
  await react(m, label)
}

if (failures > 0) {
  console.error(`dist-smoke: ${failures} scenario(s) failed`)
  process.exit(1)
}
console.log('dist-smoke: the built package works')
process.exit(0)
