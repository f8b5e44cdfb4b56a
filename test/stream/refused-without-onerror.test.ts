// @vitest-environment node
import { afterEach, expect, it, vi } from 'vitest'
import { createCache } from '../../src/core/cache'
import { connectInvalidations } from '../../src/stream/connect'
import { fakeEventSourceImpl } from '../helpers/fake-event-source'

// The README's cache has no `onError`. With a misspelt stream url (or a hub
// that refuses the session) the stream is retried for ever and `state` stays
// 'connecting': the one report that says why must not be dropped with
// nowhere else to go. Without `onError` it goes to the console, as a
// mutation's failing `onError` does; with one, only there.

afterEach(() => {
  vi.useRealTimers()
})

function refusedTwice(onError?: (error: Error) => void) {
  vi.useFakeTimers()
  vi.spyOn(Math, 'random').mockReturnValue(0)
  const consoleError = vi.spyOn(console, 'error').mockImplementation(() => {})
  const cache = createCache(onError ? { onError } : {})
  const { impl, instances } = fakeEventSourceImpl()
  const connection = connectInvalidations(cache, { url: 'https://app.test/api/evnts', eventSourceImpl: impl })
  instances[0]!.fail()
  vi.advanceTimersByTime(500)
  instances[1]!.fail()
  // A third give-up, and a fourth, are not reported again.
  vi.advanceTimersByTime(1_000)
  instances[2]!.fail()
  vi.advanceTimersByTime(2_000)
  instances[3]!.fail()
  expect(connection.state).toBe('connecting')
  connection.close()
  return consoleError
}

it('a stream refused twice, on a cache without onError, says so once on the console, naming the url', () => {
  const consoleError = refusedTwice()
  expect(consoleError).toHaveBeenCalledOnce()
  expect(String(consoleError.mock.calls[0]![0])).toContain('cachet: stream https://app.test/api/evnts failed twice')
})

it('with onError, the report goes there and not to the console', () => {
  const onError = vi.fn()
  const consoleError = refusedTwice(onError)
  expect(onError).toHaveBeenCalledOnce()
  expect(consoleError).not.toHaveBeenCalled()
})
