import { useState } from 'react'
import { useCachedQuery, useMutation } from '../../../src/index'
import type { Product } from '../types'
import { formatPrice } from './format'
import { catalogQuery, postJson } from './queries'

/**
 * The shop's back office. The mutations only tell the server; the server
 * publishes exactly what depends on the change through the hub, and that is
 * what every tab (this one included) acts on.
 */
export function ProductControls() {
  const { data, error } = useCachedQuery(catalogQuery)
  return (
    <section data-testid="product-controls">
      <h2>Products</h2>
      {error && <p className="out">{error.message}</p>}
      <table>
        <thead>
          <tr>
            <th>Product</th>
            <th>Price</th>
            <th>Stock</th>
          </tr>
        </thead>
        <tbody>
          {/* Keyed by price too: a price changed elsewhere (another tab) resets the row's input. */}
          {data?.products.map((product) => <ProductRow key={`${product.id}:${product.priceCents}`} product={product} />)}
        </tbody>
      </table>
    </section>
  )
}

function ProductRow({ product }: { product: Product }) {
  const [price, setPrice] = useState((product.priceCents / 100).toFixed(2))
  const stock = useMutation({
    mutationFn: (inStock: boolean) => postJson(`/api/products/${product.id}/stock`, { inStock }),
  })
  const reprice = useMutation({
    mutationFn: (priceCents: number) => postJson(`/api/products/${product.id}/price`, { priceCents }),
  })
  const error = stock.error ?? reprice.error
  return (
    <tr data-testid={`product-row-${product.id}`}>
      <td>
        #{product.id} {product.name}
        {error && <div className="out">{error.message}</div>}
      </td>
      <td>
        <span className="price">{formatPrice(product.priceCents)}</span>{' '}
        <input
          type="number"
          step="0.01"
          min="0.01"
          aria-label={`New price of ${product.name}`}
          data-testid={`price-input-${product.id}`}
          value={price}
          onChange={(event) => setPrice(event.target.value)}
        />{' '}
        <button data-testid={`price-save-${product.id}`} onClick={() => reprice.mutate(Math.round(Number(price) * 100))}>
          Set
        </button>
      </td>
      <td>
        <button
          data-testid={`stock-${product.id}`}
          className={product.inStock ? '' : 'out'}
          disabled={stock.status === 'pending'}
          onClick={() => stock.mutate(!product.inStock)}
        >
          {product.inStock ? 'In stock' : 'Out of stock'}
        </button>
      </td>
    </tr>
  )
}
