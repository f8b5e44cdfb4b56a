// @vitest-environment node
import { describe, expect, it } from 'vitest'
import { createCache } from '../../src/core/cache'
import type { Cache, CacheEvent } from '../../src/core/types'
import { broadcastInvalidations } from '../../src/stream/broadcast'
import { connectInvalidations } from '../../src/stream/connect'
import { FakeEventSource } from '../helpers/fake-event-source'
import { cleanups, freshChannelName, invalidatedWithTag, nextEvent } from './two-tabs'

// A change an app's own cache listener makes while a stream event is applied
// (it invalidates what depends on what the event invalidated) is the app's,
// not the event's. It used to be relayed with the event's id too, so the other
// tab applied one of the two under that id and skipped the other as a copy:
// the event itself when the listener ran before the relay's (and its own
// stream's copy of the event after that), the listener's change when after.
const URL = 'https://app.test/events'
const EVENT_ID = '1700000000000-0'

/** Each invalidation `cache` hears, by the tags it names. */
function heard(cache: Cache): string[][] {
  const tags: string[][] = []
  cleanups.push(cache.subscribe((event) => void (event.type === 'invalidated' && tags.push([...(event.target.tags ?? [])]))))
  return tags
}

const dependsOn = (cache: Cache, tag: string, dependent: string) => (event: CacheEvent) => {
  if (event.type === 'invalidated' && event.target.tags?.includes(tag)) void cache.invalidate({ tags: [dependent] })
}

describe("a change an app's listener makes while a stream event is applied", () => {
  it.each(['before', 'after'] as const)('reaches the other tab as its own, and the event too (listener subscribed %s the relay)', async (order) => {
    const channel = freshChannelName('cachet-listener-change')
    const a = createCache()
    if (order === 'before') cleanups.push(a.subscribe(dependsOn(a, 'product:42', 'bundle:7')))
    cleanups.push(broadcastInvalidations(a, { channel }))
    if (order === 'after') cleanups.push(a.subscribe(dependsOn(a, 'product:42', 'bundle:7')))
    const b = createCache()
    const bHeard = heard(b)
    cleanups.push(broadcastInvalidations(b, { channel }))
    const source = new FakeEventSource(URL)
    const connection = connectInvalidations(a, { source })
    cleanups.push(() => connection.close())
    source.open()

    // One sender's messages arrive in order: a later marker proves the rest came.
    const marker = nextEvent(b, invalidatedWithTag('marker'), "a's marker")
    source.emit({ type: 'invalidate', tags: ['product:42'] }, { id: EVENT_ID })
    await a.invalidate({ tags: ['marker'] })
    await marker
    expect(bHeard).toContainEqual(['product:42'])
    expect(bHeard).toContainEqual(['bundle:7'])
  })
})
