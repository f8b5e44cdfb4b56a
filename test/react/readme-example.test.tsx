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

it('the README example renders, loads the product, and refreshes it through useInvalidate', async () => {
  render(<App />)
  expect(screen.getByText('Loading…')).toBeTruthy()
  await settle()
  expect(fetch).toHaveBeenCalledTimes(1)
  expect(vi.mocked(fetch).mock.calls[0]![0]).toBe('/api/products/42')

  responses[0]!.resolve(json({ name: 'Chair', price: 10 }))
  await settle()
  expect(screen.getByText('Chair: $10')).toBeTruthy()

  act(() => {
    fireEvent.click(screen.getByText('Refresh price'))
  })
  await settle()
  expect(fetch).toHaveBeenCalledTimes(2)
  expect(screen.getByText('Chair: $10 (refreshing)')).toBeTruthy()
  responses[1]!.resolve(json({ name: 'Chair', price: 12 }))
  await settle()
  expect(screen.getByText('Chair: $12')).toBeTruthy()
})
