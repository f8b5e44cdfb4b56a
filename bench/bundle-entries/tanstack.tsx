// The small app every library is measured with: a provider, one query, one invalidation.
import { QueryClient, QueryClientProvider, useQuery, useQueryClient } from '@tanstack/react-query'

const client = new QueryClient({ defaultOptions: { queries: { staleTime: 60_000 } } })

function Product({ id }: { id: number }) {
  const { data } = useQuery({
    queryKey: ['product', id],
    queryFn: () => fetch(`/api/products/${id}`).then((r) => r.json() as Promise<{ name: string }>),
  })
  const queryClient = useQueryClient()
  return <button onClick={() => void queryClient.invalidateQueries({ queryKey: ['product', id] })}>{data?.name}</button>
}

export function App() {
  return (
    <QueryClientProvider client={client}>
      <Product id={1} />
    </QueryClientProvider>
  )
}
