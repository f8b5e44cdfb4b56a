// Type tests for the public API, checked by `npm run typecheck` (tsc covers
// test/; vitest does not run *.test-d.ts files). Each `@ts-expect-error` is a call that
// must NOT compile: tsc fails if it ever does.
import { describe, expectTypeOf, it } from 'vitest'
import { z } from 'zod'
import {
  broadcastInvalidations,
  connectInvalidations,
  createCache,
  fetchJson,
  invalidationMessage,
  notModified,
  useCachedQuery,
  useMutation,
  versioned,
  type Entry,
  type FetchContext,
  type InvalidationMessage,
  type NotModified,
  type QueryOptions,
  type UseCachedQueryResult,
  type Versioned,
} from '../../src/index'
import { createInvalidationHub, memoryStore, redisStore, type InvalidationHub } from '../../src/server/index'

interface Recs {
  products: { id: number; name: string }[]
}
declare const recs: Recs

/** Type-checks a body without running it (hooks need React; bad calls would throw). */
function typeOnly(body: () => void): void {
  void body
}

describe('public types', () => {
  it('fetchers may return data, a versioned result or notModified', () => {
    typeOnly(() => {
      const cache = createCache()
      expectTypeOf(versioned(recs, 'W/"1"')).toEqualTypeOf<Versioned<Recs>>()
      expectTypeOf(notModified).toEqualTypeOf<NotModified>()
      expectTypeOf(cache.fetch({ key: ['recs'], fetcher: async () => versioned(recs, 'e') })).toEqualTypeOf<Promise<Recs>>()
      expectTypeOf(cache.fetch({ key: ['recs'], fetcher: async (): Promise<Recs | NotModified> => notModified })).toEqualTypeOf<Promise<Recs>>()
      expectTypeOf(fetchJson<Recs>('/api/recs')).toEqualTypeOf<(ctx: FetchContext) => Promise<Recs | Versioned<Recs> | NotModified>>()
      // @ts-expect-error a fetcher is required
      void cache.fetch({ key: ['recs'] })
      // @ts-expect-error a key is an array
      void cache.fetch({ key: 'recs', fetcher: async () => recs })
    })
  })

  it('entries and invalidation', () => {
    typeOnly(() => {
      const cache = createCache({ models: { recommender: 'r3' } })
      expectTypeOf(cache.get<Recs>(['recs'], 'arm-b')).toEqualTypeOf<Entry<Recs> | undefined>()
      expectTypeOf<Entry<Recs>['data']>().toEqualTypeOf<Recs | undefined>()
      expectTypeOf<Entry<Recs>['status']>().toEqualTypeOf<'pending' | 'success' | 'error'>()
      expectTypeOf(cache.invalidate({ tags: ['product:42'], segment: 'arm-b' }, { mode: 'remove' })).toEqualTypeOf<Promise<number>>()
      // @ts-expect-error mode is 'stale' or 'remove'
      void cache.invalidate({}, { mode: 'drop' })
      // @ts-expect-error policy is 'immediate' or 'lazy'
      cache.setModelVersion('recommender', 'r4', { policy: 'soon' })
      // @ts-expect-error tags are strings
      void cache.invalidate({ tags: [42] })
    })
  })

  it('useCachedQuery infers data through select', () => {
    typeOnly(() => {
      type Count = UseCachedQueryResult<Recs, number>
      expectTypeOf(useCachedQuery<Recs, number>).returns.toEqualTypeOf<Count>()
      expectTypeOf<Count["data"]>().toEqualTypeOf<number | undefined>()
      expectTypeOf<Count['refetch']>().returns.toEqualTypeOf<Promise<Recs>>()
      const options = { key: ['recs'], fetcher: async () => recs, select: (r: Recs) => r.products.length }
      expectTypeOf(useCachedQuery(options).data).toEqualTypeOf<number | undefined>()
    })
  })

  it('a schema types the data, whatever the fetcher returns', () => {
    typeOnly(() => {
      const User = z.object({ id: z.number(), name: z.string() })
      type User = z.infer<typeof User>
      // `res.json()` is `any`: without the schema's type, data would be `any` too.
      const json = useCachedQuery({ key: ['user'], schema: User, fetcher: async () => (await fetch('/user')).json() })
      expectTypeOf(json.data).toEqualTypeOf<User | undefined>()
      const unknownFetcher = async (): Promise<unknown> => null
      expectTypeOf(useCachedQuery({ key: ['user'], schema: User, fetcher: unknownFetcher }).data).toEqualTypeOf<User | undefined>()
      // A transform: the data is the schema's output, not the fetcher's type.
      const Stamp = z.object({ at: z.string() }).transform(({ at }) => ({ at: new Date(at) }))
      const stamp = useCachedQuery({ key: ['stamp'], schema: Stamp, fetcher: async () => ({ at: '2026-11-26' }) })
      expectTypeOf(stamp.data).toEqualTypeOf<{ at: Date } | undefined>()
      expectTypeOf(useCachedQuery({ key: ['user'], schema: User, fetcher: fetchJson('/user'), select: (u) => u.name }).data).toEqualTypeOf<string | undefined>()
      expectTypeOf(createCache().fetch({ key: ['user'], schema: User, fetcher: async () => (await fetch('/user')).json() })).toEqualTypeOf<Promise<User>>()
      // Without a schema nothing changes: an explicit type argument and fetchJson, or shared options.
      expectTypeOf(useCachedQuery<Recs>({ key: ['recs'], fetcher: fetchJson('/recs') }).data).toEqualTypeOf<Recs | undefined>()
      const shared: QueryOptions<Recs> = { key: ['recs'], fetcher: async () => recs }
      expectTypeOf(useCachedQuery(shared).data).toEqualTypeOf<Recs | undefined>()
      expectTypeOf(createCache().fetch(shared)).toEqualTypeOf<Promise<Recs>>()
    })
  })

  it("a fetcher's ctx.key has the type of the query's key", () => {
    typeOnly(() => {
      const fetchTodo = async (id: number) => ({ id })
      const id = 7 as number
      useCachedQuery({ key: ['todo', id], fetcher: ({ key: [, todoId] }) => fetchTodo(todoId) })
      useCachedQuery({ key: ['todo', { id }], fetcher: ({ key }) => fetchTodo(key[1].id) })
      void createCache().fetch({ key: ['todo', id], fetcher: ({ key }) => fetchTodo(key[1]) })
      useCachedQuery({
        key: ['todo', id],
        schema: z.object({ id: z.number() }),
        fetcher: ({ key: [, todoId] }) => fetchTodo(todoId),
      })
      // A query built for a literal key is still a QueryOptions<T>.
      const todoQuery = (n: number) => ({ key: ['todo', n] as const, fetcher: ({ key }: FetchContext<readonly ['todo', number]>) => fetchTodo(key[1]) })
      const shared: QueryOptions<{ id: number }> = todoQuery(1)
      expectTypeOf(useCachedQuery(todoQuery(2)).data).toEqualTypeOf<{ id: number } | undefined>()
      void shared
      // @ts-expect-error the key's second element is a number
      useCachedQuery({ key: ['todo', id], fetcher: ({ key }) => fetchTodo(key[1].length) })
    })
  })

  it('useCachedQuery narrows data and error by status', () => {
    typeOnly(() => {
      const query = useCachedQuery({ key: ['recs'], fetcher: async () => recs })
      if (query.status === 'success') {
        expectTypeOf(query.data).toEqualTypeOf<Recs>()
        expectTypeOf(query.error).toEqualTypeOf<undefined>()
      } else if (query.status === 'error') {
        expectTypeOf(query.error).toEqualTypeOf<Error>()
        expectTypeOf(query.data).toEqualTypeOf<Recs | undefined>()
      } else {
        expectTypeOf(query.data).toEqualTypeOf<Recs | undefined>()
      }
      const { status, data } = useCachedQuery({ key: ['recs'], fetcher: async () => recs, select: (r) => r.products })
      if (status === 'success') expectTypeOf(data).toEqualTypeOf<Recs['products']>()
    })
  })

  it('takes undefined for every optional field (exactOptionalPropertyTypes, on in this project)', () => {
    typeOnly(() => {
      const maybe = undefined as string | undefined
      const ms = undefined as number | undefined
      const cache = createCache({ staleTime: ms, gcTime: ms, retry: ms, onError: undefined, models: undefined })
      cache.set(['k'], 1, { segment: maybe, tags: undefined, etag: maybe, model: maybe })
      void cache.invalidate({ key: undefined, segment: maybe, tags: undefined, model: maybe }, { mode: undefined })
      cache.setModelVersion('m', 'v', { policy: undefined })
      void cache.fetch({ key: ['k'], fetcher: async () => 1, segment: maybe, staleTime: ms, schema: undefined })
      useCachedQuery({ key: ['k'], fetcher: async () => 1, segment: maybe, enabled: undefined, refetchInterval: ms, select: undefined })
      useMutation({ mutationFn: async (id: number) => id, onSuccess: undefined, optimistic: { key: ['k'], segment: maybe, update: (old) => old } })
      connectInvalidations(cache, { url: maybe, event: maybe, withCredentials: undefined, onReconnect: undefined, eventSourceImpl: undefined })
      broadcastInvalidations(cache, { channel: maybe })
      createInvalidationHub({ store: Math.random() > 0.5 ? memoryStore({ retain: ms }) : redisStore({ url: maybe, stream: maybe }), authorize: undefined, heartbeatMs: ms })
    })
  })

  it('useMutation narrows data and error by status', () => {
    typeOnly(() => {
      const mutation = useMutation({ mutationFn: async (id: number) => ({ id }) })
      if (mutation.status === 'success') expectTypeOf(mutation.data).toEqualTypeOf<{ id: number }>()
      if (mutation.status === 'error') expectTypeOf(mutation.error).toEqualTypeOf<Error>()
      if (mutation.status === 'idle') expectTypeOf(mutation.data).toEqualTypeOf<undefined>()
      expectTypeOf(mutation.mutate).parameter(0).toEqualTypeOf<number>()
    })
  })

  it('useMutation takes readonly invalidation targets', () => {
    typeOnly(() => {
      const targets = [{ tags: ['product:42'] }] as const
      useMutation({ mutationFn: async (id: number) => id, invalidates: targets })
      useMutation({ mutationFn: async (id: number) => id, invalidates: (id) => [{ key: ['product', id] }] as const })
    })
  })

  it('useMutation types its variables and result', () => {
    typeOnly(() => {
      type Mutation = ReturnType<typeof useMutation<{ ok: true }, { id: number }>>
      expectTypeOf<Parameters<Mutation['mutateAsync']>[0]>().toEqualTypeOf<{ id: number }>()
      expectTypeOf<ReturnType<Mutation['mutateAsync']>>().toEqualTypeOf<Promise<{ ok: true }>>()
    })
  })

  it('the message schema and its type agree', () => {
    typeOnly(() => {
      const parsed = invalidationMessage.safeParse({ type: 'invalidate', tags: ['product:42'] })
      if (parsed.success) expectTypeOf(parsed.data).toEqualTypeOf<InvalidationMessage>()
      const message: InvalidationMessage = { type: 'model-version', model: 'recommender', version: 'r3', policy: 'immediate' }
      void message
      // @ts-expect-error sync replay is complete, unavailable or none
      const bad: InvalidationMessage = { type: 'sync', replay: 'partial' }
      void bad
      expectTypeOf<InvalidationHub['publish']>().parameter(0).toEqualTypeOf<InvalidationMessage>()
      expectTypeOf<InvalidationHub['publish']>().returns.toEqualTypeOf<Promise<string>>()
    })
  })
})
