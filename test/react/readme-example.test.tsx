import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { act, fireEvent, render, screen } from '@testing-library/react'
import { afterEach, beforeEach, expect, it, vi } from 'vitest'
import { App } from '../../examples/readme-example'
import { deferred, type Deferred } from '../helpers/deferred'
import { settle } from './helpers'

let responses: Deferred<Response>[]
beforeEach(() => {
  vi.useFakeTimers()
  responses = []
  vi.stubGlobal(
    'fetch',
    vi.fn((_url: string) => {
      const response = deferred<Response>()
      responses.push(response)
      return response.promise
    }),
  )
})
afterEach(() => {
  vi.unstubAllGlobals()
  vi.useRealTimers()
})

const json = (body: unknown) =>
  new Response(JSON.stringify(body), { headers: { 'content-type': 'application/json' } })

it("examples/readme-example.tsx is the README's example, word for word but the import", () => {
  const readme = readFileSync(join(process.cwd(), 'README.md'), 'utf8')
  const block = /## Example\s+```tsx\n([\s\S]*?)```/.exec(readme)?.[1]
  const example = readFileSync(join(process.cwd(), 'examples/readme-example.tsx'), 'utf8')
  expect(block).toBeDefined()
  const body = (code: string) => code.slice(code.indexOf('import {')).replace(/from '[^']+'/, "from 'cachet'")
  expect(body(example)).toBe(body(block!))
})

it('the README example renders, loads recommendations, and drops product 42 through useInvalidate', async () => {
  render(<App />)
  expect(screen.getByText('Thinking…')).toBeTruthy()
  await settle()
  expect(fetch).toHaveBeenCalledTimes(1)
  expect(vi.mocked(fetch).mock.calls[0]![0]).toBe('/api/recommendations?user=ada')

  responses[0]!.resolve(json({ products: [{ id: 42, name: 'Chair' }, { id: 7, name: 'Lamp' }] }))
  await settle()
  expect(screen.getByText('Chair')).toBeTruthy()
  expect(screen.getByText('Lamp')).toBeTruthy()

  // mode 'remove': the sold-out product is gone before the refetch answers.
  act(() => {
    fireEvent.click(screen.getByText('Product 42 sold out'))
  })
  await settle()
  expect(fetch).toHaveBeenCalledTimes(2)
  expect(screen.queryByText('Chair')).toBeNull()
  expect(screen.getByText('Thinking…')).toBeTruthy()
  responses[1]!.resolve(json({ products: [{ id: 7, name: 'Lamp' }] }))
  await settle()
  expect(screen.getByText('Lamp')).toBeTruthy()
  expect(screen.queryByText('Chair')).toBeNull()
})
