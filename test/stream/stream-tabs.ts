import { vi } from 'vitest'
import { createCache } from '../../src/core/cache'
import { observe } from '../../src/core/observer'
import type { CacheEvent } from '../../src/core/types'
import { broadcastInvalidations } from '../../src/stream/broadcast'
import { connectInvalidations } from '../../src/stream/connect'
import { controlledFetcher } from '../helpers/core'
import { FakeEventSource } from '../helpers/fake-event-source'
import { cleanups, freshChannelName, invalidatedWithTag, nextEvent } from './two-tabs'

// Tabs with a stream each. The natural setup: every tab has its own stream AND relays to the others, so
// each server event reaches a tab twice. Two real caches on one real
// BroadcastChannel stand for two tabs; each has its own fake EventSource on
// the same URL. Fetchers answer when the test says so, which keeps every
// refetch in flight while the relayed copy arrives (the case that used to
// cost a second fetch). Relay delivery is asynchronous: every wait is
// event-driven and bounded (see ./two-tabs).
const STREAM_URL = 'https://app.test/events'
export const KEY = ['recs', 7]
let sentinelCount = 0

const landed = (data: string) => (event: CacheEvent) =>
  event.type === 'updated' && event.entry.status === 'success' && event.entry.data === data && !event.entry.isFetching

/** A tab: a cache with one active entry, its own stream (open), and the relay on `channel`. */
async function tab(channel: string, name: string) {
  const onError = vi.fn<(error: Error) => void>()
  const cache = createCache({ staleTime: 60_000, onError, models: { recommender: 'r2' } })
  const { fetcher, calls, call } = controlledFetcher<string>()
  const observer = observe(cache, { key: KEY, tags: ['product:42'], model: 'recommender', fetcher })
  cleanups.push(observer.subscribe(() => {}))
  const loaded = nextEvent(cache, landed(`${name} 1`), `${name}'s first fetch`)
  call(0).resolve(`${name} 1`)
  await loaded
  const source = new FakeEventSource(STREAM_URL)
  const connection = connectInvalidations(cache, { source })
  cleanups.push(() => connection.close())
  source.open()
  cleanups.push(broadcastInvalidations(cache, { channel }))
  return { name, cache, source, calls, call, onError }
}
type Tab = Awaited<ReturnType<typeof tab>>

/** Tabs `a` and `b` on one fresh channel. */
export async function twoTabs(): Promise<[Tab, Tab]> {
  const channel = freshChannelName('cachet-streams')
  return [await tab(channel, 'a'), await tab(channel, 'b')]
}

/**
 * Proves `to` has handled everything `from` posted so far: one sender's
 * messages arrive in order, so once a later local invalidation of `from`
 * reaches `to`, every earlier relayed message has been applied or skipped.
 * The sentinel tag matches no entry, so it costs no fetch.
 */
async function drained(from: Tab, to: Tab): Promise<void> {
  sentinelCount += 1
  const tag = `sentinel-${sentinelCount}`
  const heard = nextEvent(to.cache, invalidatedWithTag(tag), `${to.name} hearing ${from.name}'s ${tag}`)
  await from.cache.invalidate({ tags: [tag] })
  await heard
}

/** Answers run `n` of the tab's fetcher and waits until it has landed (a follow-up fetch would start right then). */
export async function answer(t: Tab, n: number): Promise<void> {
  const data = `${t.name} ${n + 1}`
  const done = nextEvent(t.cache, landed(data), `${t.name}'s fetch #${n}`)
  t.call(n).resolve(data)
  await done
}

/** Each tab has handled all the other posted so far; then each answers run `n` of its fetcher. */
export async function drainedThenAnswered(a: Tab, b: Tab, n: number): Promise<void> {
  await drained(a, b)
  await drained(b, a)
  await answer(a, n)
  await answer(b, n)
}
