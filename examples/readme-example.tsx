// The README's example, as written there except for the import: an app
// imports from 'cachet'; this file imports the source entry, so
// test/react/readme-example.test.tsx renders exactly this code.
import { createCache, CacheProvider, useCachedQuery, useInvalidate, fetchJson } from '../src/index'

const cache = createCache({ staleTime: 30_000, models: { recommender: 'r3' } })

function Recommendations({ user }: { user: string }) {
  const { data, status } = useCachedQuery<{ products: { id: number; name: string }[] }>({
    key: ['recs', user],
    tags: ['product:42', 'product:7'],     // what this answer depends on
    model: 'recommender',                  // stamped with the version that produced it
    fetcher: fetchJson(`/api/recommendations?user=${user}`), // ETag + 304 handled
  })
  if (status === 'pending') return <p>Thinking…</p>
  return <ul>{data?.products.map((p) => <li key={p.id}>{p.name}</li>)}</ul>
}

function OutOfStock() {
  const invalidate = useInvalidate()
  // Drops exactly the entries that list product 42, in every segment, and refetches the mounted ones.
  return <button onClick={() => invalidate({ tags: ['product:42'] }, { mode: 'remove' })}>Product 42 sold out</button>
}

export function App() {
  return (
    <CacheProvider cache={cache} segment="exp-42:b">
      <Recommendations user="ada" />
      <OutOfStock />
    </CacheProvider>
  )
}
