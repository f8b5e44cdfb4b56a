// The small app every library is measured with: a provider, one query, one invalidation.
import { CacheProvider, createCache, useCachedQuery, useInvalidate } from '../../src/index'

const cache = createCache({ staleTime: 60_000 })

function Product({ id }: { id: number }) {
  const { data } = useCachedQuery({
    key: ['product', id],
    tags: [`product:${id}`],
    fetcher: () => fetch(`/api/products/${id}`).then((r) => r.json() as Promise<{ name: string }>),
  })
  const invalidate = useInvalidate()
  return <button onClick={() => void invalidate({ tags: [`product:${id}`] })}>{data?.name}</button>
}

export function App() {
  return (
    <CacheProvider cache={cache}>
      <Product id={1} />
    </CacheProvider>
  )
}
