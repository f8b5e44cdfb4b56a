import { expect } from 'vitest'
import type { IncomingMessage } from 'node:http'
import type { EventStore, HubGrant } from '../../src/server'
import type { InvalidationMessage } from '../../src/stream/schema'
import { startHub } from './hub-setup'

// Grants by a test header: `x-segment: A` sees A, `all` sees everything, no header sees only unsegmented events.
export async function grantFromHeader(req: IncomingMessage): Promise<HubGrant> {
  const segment = req.headers['x-segment']
  if (segment === 'all') return { segments: 'all' }
  return { segments: typeof segment === 'string' ? [segment] : [] }
}

// Each phase publishes one event of every kind; the marker strings are what
// the raw streams are searched for.
function eventsOf(phase: string): InvalidationMessage[] {
  return [
    { type: 'invalidate', segment: 'A', tags: [`secret-A-${phase}`] },
    { type: 'set', key: ['recs', 1], segment: 'A', data: { note: `secret-A-set-${phase}` } },
    { type: 'invalidate', segment: 'B', tags: [`secret-B-${phase}`] },
    { type: 'invalidate', tags: [`public-${phase}`] },
    { type: 'model-version', model: 'recommender', version: `v-${phase}` },
  ]
}

/**
 * Clients of segment A, segment B, no segment and 'all' connect with a
 * Last-Event-ID (so half the events reach them by replay, half live), and
 * each raw stream is checked for what it must and must not contain.
 */
export async function checkSegmentIsolation(store: EventStore): Promise<void> {
  const running = await startHub({ store, authorize: grantFromHeader })
  try {
    const { hub, connect } = running
    const start = await hub.publish({ type: 'invalidate', tags: ['start'] })
    for (const message of eventsOf('replayed')) await hub.publish(message)

    const from = { 'Last-Event-ID': start }
    const clients = {
      A: await connect({ ...from, 'x-segment': 'A' }),
      B: await connect({ ...from, 'x-segment': 'B' }),
      none: await connect(from),
      all: await connect({ ...from, 'x-segment': 'all' }),
    }
    for (const stream of Object.values(clients)) {
      await stream.waitFor((s) => s.raw.includes('"replay":"complete"'), 'the replay to complete')
    }
    for (const message of eventsOf('live')) await hub.publish(message)
    await hub.publish({ type: 'invalidate', tags: ['end'] })
    for (const stream of Object.values(clients)) {
      await stream.waitFor((s) => s.raw.includes('"end"'), 'the last event')
    }

    for (const phase of ['replayed', 'live']) {
      const everyone = [`public-${phase}`, `v-${phase}`]
      expect(clients.A.raw).toContain(`secret-A-${phase}`)
      expect(clients.A.raw).toContain(`secret-A-set-${phase}`)
      expect(clients.A.raw).not.toContain(`secret-B`)
      expect(clients.B.raw).toContain(`secret-B-${phase}`)
      expect(clients.B.raw).not.toContain(`secret-A`)
      expect(clients.none.raw).not.toContain('secret-')
      expect(clients.all.raw).toContain(`secret-A-${phase}`)
      expect(clients.all.raw).toContain(`secret-B-${phase}`)
      for (const stream of Object.values(clients)) {
        for (const marker of everyone) expect(stream.raw).toContain(marker)
      }
    }
    // Nothing segmented leaks through any other field either.
    expect(clients.B.raw).not.toContain('"segment":"A"')
    expect(clients.A.raw).not.toContain('"segment":"B"')
    expect(clients.none.raw).not.toContain('"segment"')
  } finally {
    await running.stop()
  }
}
