// The small app every library is measured with: a provider, one query, one invalidation.
import useSWR, { SWRConfig, useSWRConfig } from 'swr'

function Product({ id }: { id: number }) {
  const { data } = useSWR(['product', id], () =>
    fetch(`/api/products/${id}`).then((r) => r.json() as Promise<{ name: string }>),
  )
  const { mutate } = useSWRConfig()
  return <button onClick={() => void mutate(['product', id])}>{data?.name}</button>
}

export function App() {
  return (
    <SWRConfig value={{ provider: () => new Map(), dedupingInterval: 60_000 }}>
      <Product id={1} />
    </SWRConfig>
  )
}
