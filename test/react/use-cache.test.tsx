import { render, screen } from '@testing-library/react'
import { Component, type ReactNode } from 'react'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { Cache } from '../../src/core/types'
import { useCache } from '../../src/react/use-cache'
import { useCachedQuery } from '../../src/react/use-cached-query'
import { useInvalidate } from '../../src/react/use-invalidate'
import { useMutation } from '../../src/react/use-mutation'
import { renderWith, testCache } from './helpers'

class Catch extends Component<{ children: ReactNode }, { error?: Error }> {
  override state: { error?: Error } = {}
  static getDerivedStateFromError(error: Error) {
    return { error }
  }
  override render() {
    return this.state.error ? <p>{`caught:${this.state.error.message}`}</p> : this.props.children
  }
}

/**
 * Renders, outside any provider, a component that calls `hook`: the text the
 * error boundary shows for the error it throws ("caught:" and its message).
 */
function caughtOutsideProvider(hook: () => unknown): string {
  function View() {
    hook()
    return <p>rendered</p>
  }
  render(
    <Catch>
      <View />
    </Catch>,
  )
  return screen.getByText(/^caught:/).textContent!
}

let cache: Cache
beforeEach(() => {
  cache = testCache()
  // React logs errors caught by a boundary; keep the output clean.
  vi.spyOn(console, 'error').mockImplementation(() => {})
})
afterEach(() => cache.clear())

describe('CacheProvider and useCache', () => {
  it('useCache returns the nearest provider’s cache', () => {
    let seen: Cache | undefined
    function View() {
      seen = useCache()
      return null
    }
    renderWith(cache, <View />)
    expect(seen).toBe(cache)
  })

  const hooks: [string, () => unknown][] = [
    ['useCache', () => useCache()],
    ['useCachedQuery', () => useCachedQuery({ key: ['x'], fetcher: async () => 1 })],
    ['useInvalidate', () => useInvalidate()],
    ['useMutation', () => useMutation({ mutationFn: async () => 1 })],
  ]
  for (const [name, hook] of hooks) {
    it(`${name} outside a provider throws an Error that names the hook and CacheProvider`, () => {
      const message = caughtOutsideProvider(hook)
      expect(message).toContain(name)
      expect(message).toContain('<CacheProvider')
      expect(message).toMatch(/wrap/i)
    })
  }

  // A reader follows the advice as written: `<CacheProvider cache={createCache()}>`
  // in JSX makes a new, empty cache on every render of that component, so every
  // query there loses its data and refetches whenever it re-renders.
  it('the missing-provider advice makes the cache once, not inline in the provider', () => {
    const message = caughtOutsideProvider(() => useCache())
    expect(message).toContain('<CacheProvider cache={cache}>')
    expect(message).not.toContain('cache={createCache()}')
    expect(message).toMatch(/once by createCache\(\)/)
  })
})
