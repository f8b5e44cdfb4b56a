// The README's example. In an app, import from 'cachet'; here the source
// entry, so a test renders exactly this file (test/react/readme-example.test.tsx).
import { CacheProvider, createCache, fetchJson, useCachedQuery, useInvalidate } from '../src/index'

interface Product {
  name: string
  price: number
}

// One cache for the app: data stays fresh for 30 s, then revalidates on use.
const cache = createCache({ staleTime: 30_000 })

function ProductCard({ id }: { id: number }) {
  const { data, error, isFetching } = useCachedQuery({
    key: ['product', id],
    fetcher: fetchJson<Product>(`/api/products/${id}`),
    tags: [`product:${id}`],
  })
  if (error) return <p>Could not load product {id}: {error.message}</p>
  if (!data) return <p>Loading…</p>
  return (
    <p>
      {data.name}: ${data.price}
      {isFetching ? ' (refreshing)' : ''}
    </p>
  )
}

function RefreshButton({ id }: { id: number }) {
  const invalidate = useInvalidate()
  // Marks every entry tagged with the product stale; mounted ones refetch now.
  return <button onClick={() => invalidate({ tags: [`product:${id}`] })}>Refresh price</button>
}

export function App() {
  return (
    <CacheProvider cache={cache}>
      <ProductCard id={42} />
      <RefreshButton id={42} />
    </CacheProvider>
  )
}
