// @vitest-environment node
import { describe, expect, it, vi } from 'vitest'
import { createCache } from '../../src/core/cache'
import { broadcastInvalidations } from '../../src/stream/broadcast'
import { connectInvalidations } from '../../src/stream/connect'
import { FakeEventSource } from '../helpers/fake-event-source'
import { cleanups, freshChannelName, invalidatedWithTag, nextEvent } from './two-tabs'

// An EventSource cannot send headers, so apps put the access token in the
// stream's url: `/events?access_token=<JWT>`, easily past 2 KB. The relay
// tags a stream event's change with that url (to skip the second copy), and
// receiving tabs refuse an envelope field longer than 2,048 characters. The
// change itself must still reach them: without its tag, at worst one fetch more.
const longStream = `https://app.test/events?access_token=${'x'.repeat(3_000)}`
const longId = `cursor-${'y'.repeat(3_000)}`

describe('a stream event relayed from a stream whose url or event id is longer than the relay tags carry', () => {
  it.each([
    ['url', longStream, '5-0'],
    ['event id', 'https://app.test/events', longId],
  ])('reaches the other tab (long %s), untagged, with no error', async (_what, url, id) => {
    const channel = freshChannelName('cachet-long')
    const a = createCache()
    const source = new FakeEventSource(url)
    const connection = connectInvalidations(a, { source })
    cleanups.push(() => connection.close(), broadcastInvalidations(a, { channel }))
    const onError = vi.fn<(error: Error) => void>()
    const b = createCache({ onError })
    cleanups.push(broadcastInvalidations(b, { channel }))
    const errored = new Promise<string>((resolve) => onError.mockImplementation((error) => resolve(error.message)))
    const heard = nextEvent(b, invalidatedWithTag('product:42'), "the relayed invalidation in b").then(() => 'applied')

    source.open()
    source.emit({ type: 'invalidate', tags: ['product:42'] }, { id })
    expect(await Promise.race([heard, errored])).toBe('applied')
    expect(onError).not.toHaveBeenCalled()
  })
})
