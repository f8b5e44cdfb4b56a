// @vitest-environment node
import { describe, expect, it } from 'vitest'
import { applyMessage, targetOf } from '../../src/stream/apply-message'
import { recordingCache } from './recording-cache'

describe('applyMessage', () => {
  it('turns invalidate into cache.invalidate with the named fields and mode', async () => {
    const { cache } = recordingCache()
    await applyMessage(cache, {
      type: 'invalidate',
      key: ['recs'],
      exact: true,
      tags: ['product:42'],
      segment: 'exp-42:b',
      model: 'recommender',
      modelVersion: 'r2',
      mode: 'remove',
    })
    expect(cache.invalidate).toHaveBeenCalledExactlyOnceWith(
      { key: ['recs'], exact: true, tags: ['product:42'], segment: 'exp-42:b', model: 'recommender', modelVersion: 'r2' },
      { mode: 'remove' },
    )
  })

  it('passes no field the message does not give (never `key: undefined`)', () => {
    const { cache } = recordingCache()
    void applyMessage(cache, { type: 'invalidate', tags: ['inventory'] })
    const [target, options] = cache.invalidate.mock.calls[0]!
    expect(Object.keys(target ?? {})).toEqual(['tags'])
    expect(options).toBeUndefined()
  })

  it('turns all: true into the empty target that matches everything', () => {
    const { cache } = recordingCache()
    void applyMessage(cache, { type: 'invalidate', all: true, mode: 'stale' })
    expect(cache.invalidate).toHaveBeenCalledExactlyOnceWith({}, { mode: 'stale' })
  })

  it('keeps the other fields when all: true comes with them (fields AND together)', () => {
    expect(targetOf({ type: 'invalidate', all: true, segment: 'a' })).toEqual({ segment: 'a' })
  })

  it('turns model-version into cache.setModelVersion with its policy', () => {
    const { cache } = recordingCache()
    applyMessage(cache, { type: 'model-version', model: 'recommender', version: 'r3', policy: 'immediate' })
    applyMessage(cache, { type: 'model-version', model: 'ranker', version: 'v2' })
    expect(cache.setModelVersion.mock.calls).toEqual([
      ['recommender', 'r3', { policy: 'immediate' }],
      ['ranker', 'v2', undefined],
    ])
  })

  it('turns set into cache.set with segment, etag, tags and model', () => {
    const { cache } = recordingCache()
    applyMessage(cache, {
      type: 'set',
      key: ['recs', 7],
      data: { items: [1, 2] },
      segment: 'exp-42:b',
      etag: 'W/"x"',
      tags: ['user:7'],
      model: 'recommender',
    })
    applyMessage(cache, { type: 'set', key: ['plain'], data: null })
    expect(cache.set.mock.calls).toEqual([
      [['recs', 7], { items: [1, 2] }, { segment: 'exp-42:b', etag: 'W/"x"', tags: ['user:7'], model: 'recommender' }],
      [['plain'], null, {}],
    ])
  })
})
