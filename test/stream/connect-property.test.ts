// @vitest-environment node
import fc from 'fast-check'
import { describe, expect, it, vi } from 'vitest'
import { createCache } from '../../src/core/cache'
import { connectInvalidations } from '../../src/stream/connect'
import { FakeEventSource } from '../helpers/fake-event-source'

// Malformed by construction (not by asking the parser under test): each case
// breaks one rule of the message format.
const knownTypes = ['invalidate', 'model-version', 'set', 'sync']
const notAString = fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.string(), { maxLength: 2 }), fc.object({ maxDepth: 1 }))
const notAStringArray = fc.oneof(
  fc.string(),
  fc.integer(),
  fc.constant(null),
  fc.object({ maxDepth: 1 }),
  fc.array(fc.oneof(fc.integer(), fc.boolean(), fc.constant(null)), { minLength: 1, maxLength: 3 }),
)
const notAnArray = fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null), fc.object({ maxDepth: 1 }))
const selector = fc.oneof(
  fc.record({ key: fc.array(fc.string(), { maxLength: 2 }) }),
  fc.record({ tags: fc.array(fc.string(), { maxLength: 2 }) }),
  fc.record({ segment: fc.string() }),
  fc.record({ model: fc.string({ minLength: 1 }) }),
  fc.record({ all: fc.constant(true) }),
)

const notJson = fc.string().filter((text) => {
  try {
    JSON.parse(text)
    return false
  } catch {
    return true
  }
})

const malformed: fc.Arbitrary<string> = fc.oneof(
  // Not JSON at all (including JSON cut short).
  notJson,
  fc.jsonValue().map((value) => JSON.stringify({ type: 'invalidate', all: true, extra: value }).slice(0, -1)),
  // JSON, but not an object.
  fc.oneof(fc.integer(), fc.string(), fc.boolean(), fc.constant(null), fc.array(fc.jsonValue(), { maxLength: 3 })).map((v) => JSON.stringify(v)),
  // An unknown or missing type.
  fc
    .record({ type: fc.oneof(fc.string().filter((t) => !knownTypes.includes(t)), notAString), all: fc.constant(true) }, { requiredKeys: [] })
    .map((v) => JSON.stringify(v)),
  // invalidate that names nothing.
  fc
    .record({ exact: fc.boolean(), mode: fc.constantFrom('stale', 'remove') }, { requiredKeys: [] })
    .map((v) => JSON.stringify({ type: 'invalidate', ...v })),
  // invalidate with a field of the wrong type.
  fc
    .tuple(
      selector,
      fc.oneof(
        notAStringArray.map((tags) => ({ tags })),
        notAnArray.map((key) => ({ key })),
        notAString.map((segment) => ({ segment })),
        notAString.map((modelVersion) => ({ modelVersion })),
        fc.oneof(notAString, fc.constant('')).map((model) => ({ model })),
        fc.oneof(fc.string().filter((m) => m !== 'stale' && m !== 'remove'), notAString).map((mode) => ({ mode })),
        fc.oneof(fc.string(), fc.integer(), fc.constant(null)).map((exact) => ({ exact })),
        fc.oneof(fc.constant(false), fc.string(), fc.integer()).map((all) => ({ all })),
      ),
    )
    .map(([good, bad]) => JSON.stringify({ type: 'invalidate', ...good, ...bad })),
  // model-version with a missing or bad model / version / policy.
  fc
    .oneof(
      fc.record({ model: fc.oneof(notAString, fc.constant('')), version: fc.constant('r3') }),
      fc.record({ model: fc.constant('recommender'), version: fc.oneof(notAString, fc.constant('')) }),
      fc.record({ version: fc.constant('r3') }),
      fc.record({ model: fc.constant('recommender') }),
      fc.record({ model: fc.constant('m'), version: fc.constant('v'), policy: fc.oneof(fc.string().filter((p) => p !== 'immediate' && p !== 'lazy'), notAString) }),
    )
    .map((v) => JSON.stringify({ type: 'model-version', ...v })),
  // set without a key or data, or with a key that is not an array.
  fc
    .oneof(
      fc.record({ data: fc.jsonValue() }),
      fc.record({ key: fc.array(fc.string(), { maxLength: 2 }) }),
      fc.record({ key: notAnArray, data: fc.jsonValue() }),
      fc.record({ key: fc.constant(['k']), data: fc.jsonValue(), etag: notAString }),
      fc.record({ key: fc.constant(['k']), data: fc.jsonValue(), tags: notAStringArray }),
    )
    .map((v) => JSON.stringify({ type: 'set', ...v })),
  // sync with a bad replay.
  fc.oneof(fc.string().filter((r) => !['complete', 'unavailable', 'none'].includes(r)), notAString).map((replay) =>
    JSON.stringify({ type: 'sync', replay }),
  ),
)

describe('connectInvalidations under malformed input (property)', () => {
  it('1,000 malformed messages change no entry, keep the connection open, and each reaches onError once', () => {
    const onError = vi.fn<(error: Error) => void>()
    const cache = createCache({ staleTime: 60_000, now: () => 1_000, onError })
    const keys: Array<[readonly unknown[], string | undefined]> = [
      [['recs', 1], 'exp-42:b'],
      [['recs', 2], undefined],
      [['k'], undefined],
      [['answer'], undefined],
    ]
    cache.setModelVersion('recommender', 'r2')
    cache.set(['recs', 1], { items: [1, 2] }, { segment: 'exp-42:b', tags: ['product:42'], etag: 'W/"a"' })
    cache.set(['recs', 2], 'two', { tags: ['inventory'] })
    cache.set(['k'], 'k')
    cache.set(['answer'], 'from r2', { model: 'recommender' })
    const snapshot = () => keys.map(([key, segment]) => cache.get(key, segment))
    const before = snapshot()
    const source = new FakeEventSource()
    const connection = connectInvalidations(cache, { source })
    source.open()
    // A replaying server, reconnected: a bad sync must not count as the sync it waits for.
    source.emit({ type: 'sync', replay: 'none' })
    source.drop()
    source.open()

    let sent = 0
    fc.assert(
      fc.property(malformed, fc.option(fc.stringMatching(/^[0-9a-z-]{1,12}$/), { nil: undefined }), (data, id) => {
        source.emit(data, id === undefined ? {} : { id })
        sent += 1
        expect(onError).toHaveBeenCalledTimes(sent)
        const error = onError.mock.calls[sent - 1]![0]
        expect(error).toBeInstanceOf(Error)
        expect(error.message.startsWith(`cachet: rejected server event ${id ?? '(no id)'}: `)).toBe(true)
        expect(snapshot()).toEqual(before)
        expect(connection.state).toBe('open')
        expect(source.closeCalls).toBe(0)
      }),
      { numRuns: 1_000, seed: 20_240_601 },
    )
    expect(sent).toBe(1_000)
    expect(cache.stats().entries).toBe(4)

    // Still listening: a good message after all that is applied.
    source.emit({ type: 'invalidate', tags: ['inventory'] }, { id: 'ok' })
    expect(cache.get(['recs', 2])?.isStale).toBe(true)
    expect(onError).toHaveBeenCalledTimes(1_000)
    connection.close()
  })
})
