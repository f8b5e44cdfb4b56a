// @vitest-environment node
import { describe, it } from 'vitest'
import { memoryStore } from '../../src/server'
import { checkSegmentIsolation } from './segment-isolation'

describe('invalidation hub: segment isolation (memory store)', () => {
  it("never writes a segment's events to another segment's socket, in replay or live; unsegmented events reach everyone", async () => {
    await checkSegmentIsolation(memoryStore())
  })
})
