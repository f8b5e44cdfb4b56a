import type { IncomingMessage } from 'node:http'
import fc from 'fast-check'
import { memoryStore, type EventStore, type HubGrant } from '../../src/server'
import type { InvalidationMessage } from '../../src/stream/schema'
import { startHub, type HubServer } from './hub-setup'
import { parseFrames, type SseStream } from './sse-client'

// A model of the hub's delivery contract (API.md "Server"; docs/server.md
// "Replay and sync", "Heartbeats"), driven over real loopback HTTP by random
// command sequences. Shared by hub.property.test.ts (the property) and
// hub-findings.test.ts (the shrunk counterexamples).

export const segments = ['A', 'B', 'C'] as const
type Segment = (typeof segments)[number]
export type Grant = readonly Segment[] | 'all'
type From = { kind: 'none' } | { kind: 'seen'; pick: number } | { kind: 'stale' } | { kind: 'bogus' }

export type Command =
  | { op: 'publish'; segment: Segment | undefined; type: 'invalidate' | 'model-version' | 'set' }
  | { op: 'connect'; slot: number; grant: Grant; from: From }
  | { op: 'disconnect'; slot: number }
  | { op: 'reconnect'; slot: number }
  // A connect (with the slot's last id, or none) while `count` events are published meanwhile.
  | { op: 'connect-during-publish'; slot: number; grant: Grant; resume: boolean; count: number; segment: Segment | undefined }
  | { op: 'heartbeat' }

const slots = 3
const grantArb: fc.Arbitrary<Grant> = fc.oneof(fc.constant('all' as const), fc.subarray([...segments]))
const segmentArb = fc.option(fc.constantFrom(...segments), { nil: undefined })

export function commandArb(withHeartbeat: boolean): fc.Arbitrary<Command> {
  const weighted: fc.WeightedArbitrary<Command>[] = [
    {
      weight: 5,
      arbitrary: fc.record({ op: fc.constant('publish' as const), segment: segmentArb, type: fc.constantFrom('invalidate' as const, 'model-version' as const, 'set' as const) }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        op: fc.constant('connect' as const),
        slot: fc.nat(slots - 1),
        grant: grantArb,
        from: fc.oneof(
          fc.constant({ kind: 'none' as const }),
          fc.record({ kind: fc.constant('seen' as const), pick: fc.nat(1000) }),
          fc.record({ kind: fc.constant('seen' as const), pick: fc.nat(1000) }),
          fc.constant({ kind: 'stale' as const }),
          fc.constant({ kind: 'bogus' as const }),
        ),
      }),
    },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('disconnect' as const), slot: fc.nat(slots - 1) }) },
    { weight: 3, arbitrary: fc.record({ op: fc.constant('reconnect' as const), slot: fc.nat(slots - 1) }) },
    {
      weight: 2,
      arbitrary: fc.record({
        op: fc.constant('connect-during-publish' as const),
        slot: fc.nat(slots - 1),
        grant: grantArb,
        resume: fc.boolean(),
        count: fc.integer({ min: 1, max: 4 }),
        segment: segmentArb,
      }),
    },
  ]
  if (withHeartbeat) weighted.push({ weight: 1, arbitrary: fc.constant({ op: 'heartbeat' as const }) })
  return fc.oneof(...weighted)
}

function messageOf(n: number, type: 'invalidate' | 'model-version' | 'set', segment: Segment | undefined): InvalidationMessage {
  if (type === 'model-version') return { type, model: 'm', version: `v${n}` }
  if (type === 'set') return { type, key: ['k', n], data: { n }, ...(segment ? { segment } : {}) }
  return { type, tags: [`t${n}`], ...(segment ? { segment } : {}) }
}

// Grants come from a header; authorize yields to the event loop first, as a
// session lookup would, so that publishes can land while a client connects.
async function authorize(req: IncomingMessage): Promise<HubGrant> {
  await new Promise((resolve) => setImmediate(resolve))
  const raw = req.headers['x-grant']
  const grant = JSON.parse(typeof raw === 'string' ? raw : '[]') as Grant
  return { segments: grant === 'all' ? 'all' : [...grant] }
}

/**
 * A store whose reads answer after a turn of the event loop (as a remote
 * store's do), reading the state at answer time. Appends and delivery stay
 * synchronous.
 */
export function slowReads(inner: EventStore): EventStore {
  const later = () => new Promise((resolve) => setImmediate(resolve))
  return {
    append: (message) => inner.append(message),
    async readAfter(id) {
      await later()
      return inner.readAfter(id)
    },
    async lastId() {
      await later()
      return inner.lastId()
    },
    subscribe: (listener, lost) => inner.subscribe(listener, lost),
    compare: (a, b) => inner.compare(a, b),
    close: () => inner.close(),
  }
}

/** What the runs exercised (printed with HUB_PROPERTY_STATS=1). */
export const stats: Record<string, number> = {}
const count = (what: string) => void (stats[what] = (stats[what] ?? 0) + 1)

interface Published {
  id: string
  message: InvalidationMessage
}

interface Client {
  stream: SseStream
  grant: Grant
  from: string | undefined
  /** published.length when the connect started and when its sync had arrived. */
  k0: number
  k1: number
  open: boolean
}

// JSON with sorted keys: the hub stores the schema's parse, whose key order may differ.
const canonical = (value: unknown): string =>
  JSON.stringify(value, (_, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1))) : v,
  )

const cmp = (a: string, b: string) => {
  const [am, as] = a.split('-').map(BigInt) as [bigint, bigint]
  const [bm, bs] = b.split('-').map(BigInt) as [bigint, bigint]
  return am < bm ? -1 : am > bm ? 1 : as < bs ? -1 : as > bs ? 1 : 0
}

export interface ScenarioOptions {
  store: () => EventStore
  retain: number
  heartbeatMs?: number
}

/** Runs one command sequence; throws (with a description) on the first contract violation. */
export async function runScenario(options: ScenarioOptions, commands: readonly Command[]): Promise<void> {
  const store = options.store()
  // The empty store's head: a memory store's birth id (Redis's empty stream has none).
  const birth = await store.lastId()
  const running: HubServer = await startHub({ store, authorize, heartbeatMs: options.heartbeatMs ?? 2 ** 31 - 1 })
  const published: Published[] = []
  const clients = new Map<number, Client>()
  const everyClient: Client[] = []
  const seenIds: string[] = []
  let n = 0
  try {
    const publish = async (segment: Segment | undefined, type: 'invalidate' | 'model-version' | 'set') => {
      const message = messageOf(n++, type, segment)
      const id = await running.hub.publish(message)
      const previous = published.at(-1)
      if (previous && cmp(id, previous.id) <= 0) throw new Error(`publish resolved with ${id}, not after the previous ${previous.id}`)
      published.push({ id, message: JSON.parse(JSON.stringify(message)) as InvalidationMessage })
    }

    // Ids the store still vouches for after k publishes: the retained ones and the newest dropped
    // one, which is the birth until an event is dropped.
    const known = (id: string, k: number) =>
      published.slice(Math.max(0, k - options.retain - 1), k).some((e) => e.id === id) || (id === birth && k <= options.retain)

    const open = async (slot: number, grant: Grant, from: string | undefined, meanwhile?: () => Promise<void>) => {
      const k0 = published.length
      const headers: Record<string, string> = { 'x-grant': JSON.stringify(grant) }
      if (from !== undefined) headers['Last-Event-ID'] = from
      const connecting = running.connect(headers)
      if (meanwhile) await meanwhile()
      const stream = await connecting
      if (stream.status !== 200) throw new Error(`connect answered ${stream.status}`)
      await stream.waitFor((s) => s.messages().some((m) => m.message.type === 'sync'), 'the sync message')
      const client: Client = { stream, grant, from, k0, k1: published.length, open: true }
      clients.set(slot, client)
      everyClient.push(client)
    }

    const close = async (slot: number) => {
      const client = clients.get(slot)
      if (!client?.open) return
      await check(client, true)
      client.stream.close()
      client.open = false
    }

    const lastIdOf = (client: Client): string | undefined => {
      let last = client.from
      for (const frame of parseFrames(client.stream.raw)) if (frame.id !== undefined) last = frame.id
      return last
    }

    // Checks one client's stream against the model, after waiting (bounded)
    // for every event it should have by now.
    const check = async (client: Client, wait: boolean) => {
      const describe = () => `client grant=${JSON.stringify(client.grant)} from=${client.from} k0=${client.k0} k1=${client.k1}\npublished=${JSON.stringify(published.map((e) => [e.id, (e.message as { segment?: string }).segment ?? '-']))}\nraw:\n${client.stream.raw}`
      const fail = (why: string): never => {
        throw new Error(`${why}\n${describe()}`)
      }
      const visible = (m: InvalidationMessage) => client.grant === 'all' || !('segment' in m) || m.segment === undefined || client.grant.includes(m.segment as Segment)
      const syncs = client.stream.messages().filter((m) => m.message.type === 'sync')
      if (syncs.length !== 1) fail(`expected exactly one sync, got ${syncs.length}`)
      const sync = syncs[0]!
      const replay = sync.message.replay as string
      // What the sync kind must be.
      if (client.from === undefined) {
        if (replay !== 'none') fail(`no Last-Event-ID but sync ${replay}`)
      } else {
        const knownThroughout = Array.from({ length: client.k1 - client.k0 + 1 }, (_, i) => known(client.from!, client.k0 + i))
        if (knownThroughout.every(Boolean) && replay !== 'complete') fail(`retained Last-Event-ID but sync ${replay}`)
        if (!knownThroughout.some(Boolean) && replay !== 'unavailable') fail(`unretained Last-Event-ID but sync ${replay}`)
      }
      // The sync's id: the head at some point during the connect, or (complete) the last event after `from` then.
      const syncId = sync.id
      const heads = Array.from({ length: client.k1 - client.k0 + 1 }, (_, i) => published[client.k0 + i - 1]?.id ?? birth)
      if (replay === 'complete') {
        const candidates = heads.map((h) => (h === undefined || cmp(h, client.from!) < 0 ? client.from : h))
        if (!candidates.includes(syncId)) fail(`sync complete carries id ${syncId}, expected one of ${candidates.join(',')}`)
      } else if (!heads.includes(syncId)) {
        // Or earlier: where the hub's subscription stood when the client registered, when the
        // head read counted events the subscription had not yet delivered (a lagging store, as
        // Redis's reader is); those events then follow the sync (checked below: everything
        // after the sync's id arrives, once, in order).
        const earlier = syncId === undefined || published.some((e, i) => e.id === syncId && i < client.k1)
        if (!earlier) fail(`sync ${replay} carries id ${syncId}, expected the head then (one of ${heads.join(',')}) or an earlier id`)
      }
      if (wait) count(`sync ${replay}${replay === 'complete' && client.stream.messages()[0]?.message.type !== 'sync' ? ' with replay' : ''}${client.k1 > client.k0 ? ' during publishes' : ''}`)
      const base = replay === 'complete' ? client.from : syncId
      const expected = published.filter((e) => (base === undefined || cmp(e.id, base) > 0) && visible(e.message))
      const received = () => client.stream.messages().filter((m) => m.message.type !== 'sync')
      if (wait && client.open && received().length < expected.length) {
        try {
          await client.stream.waitFor(() => received().length >= expected.length, `${expected.length} events`, 3_000)
        } catch {
          fail(`timed out waiting for ${expected.length} events, got ${received().length}`)
        }
      }
      const got = received()
      if (got.length > expected.length) fail(`received ${got.length} events, expected ${expected.length}: ${JSON.stringify(expected.map((e) => e.id))}`)
      for (let i = 0; i < got.length; i++) {
        const e = expected[i]!
        if (got[i]!.id !== e.id || canonical(got[i]!.message) !== canonical(e.message)) {
          fail(`event #${i} is ${got[i]!.id} ${JSON.stringify(got[i]!.message)}, expected ${e.id} ${JSON.stringify(e.message)}`)
        }
      }
      if (wait && client.open && got.length !== expected.length) fail(`missing events`)
      // Frame-level: ids never go backwards (data events strictly forwards), the
      // sync comes before any live event, and no id (sync or heartbeat) runs past
      // an event the client was owed but has not received yet.
      let last: string | undefined = replay === 'complete' ? client.from : undefined
      let events = 0
      let lastEvent: string | undefined
      let synced = false
      for (const frame of parseFrames(client.stream.raw)) {
        const isSync = frame.data !== undefined && (JSON.parse(frame.data) as { type: string }).type === 'sync'
        if (frame.data !== undefined && !isSync) {
          if (frame.id === undefined) fail('an event without id')
          if (lastEvent !== undefined && cmp(frame.id!, lastEvent) <= 0) fail(`event id ${frame.id} not after the previous event's ${lastEvent}`)
          if (!synced && replay !== 'complete') fail(`an event before sync ${replay}`)
          lastEvent = frame.id
          events++
        }
        if (isSync) synced = true
        if (frame.id === undefined) continue
        if (last !== undefined && replay === 'complete' && cmp(frame.id, last) < 0) fail(`id went backwards: ${last} -> ${frame.id}`)
        if (last !== undefined && synced && cmp(frame.id, last) < 0) fail(`id went backwards after sync: ${last} -> ${frame.id}`)
        last = frame.id
        const owed = expected.filter((e) => cmp(e.id, frame.id!) <= 0).length
        if (owed > events) fail(`a frame with id ${frame.id} (${frame.data ?? 'heartbeat'}) came before ${owed - events} owed event(s) with smaller ids`)
        if (frame.data === undefined && wait) count('heartbeat with id')
        seenIds.push(frame.id)
      }
    }

    for (const command of commands) {
      switch (command.op) {
        case 'publish':
          await publish(command.type === 'model-version' ? undefined : command.segment, command.type)
          break
        case 'connect': {
          await close(command.slot)
          const from =
            command.from.kind === 'none'
              ? undefined
              : command.from.kind === 'seen'
                ? seenIds.length
                  ? seenIds[command.from.pick % seenIds.length]
                  : undefined
                : command.from.kind === 'stale'
                  ? '1-0'
                  : 'not-an-id'
          await open(command.slot, command.grant, from)
          break
        }
        case 'disconnect':
          await close(command.slot)
          break
        case 'reconnect': {
          const client = clients.get(command.slot)
          if (!client) break
          await close(command.slot)
          await open(command.slot, client.grant, lastIdOf(client))
          break
        }
        case 'connect-during-publish': {
          const previous = clients.get(command.slot)
          const from = command.resume && previous ? lastIdOf(previous) : undefined
          await close(command.slot)
          await open(command.slot, command.grant, from, async () => {
            for (let i = 0; i < command.count; i++) {
              await new Promise((resolve) => setImmediate(resolve))
              await publish(command.segment, 'invalidate')
            }
          })
          break
        }
        case 'heartbeat':
          for (const client of clients.values()) {
            if (!client.open) continue
            const before = client.stream.frames().length
            await client.stream.waitFor((s) => s.frames().slice(before).some((f) => f.comments.includes('ping')), 'a heartbeat', 2_000)
          }
          break
      }
      for (const client of clients.values()) if (client.open) await check(client, true)
    }
    // A final unsegmented event every client must get: anything leaked before it shows.
    await publish(undefined, 'invalidate')
    for (const client of clients.values()) if (client.open) await check(client, true)
  } finally {
    await running.stop()
  }
}

export const memory = (retain: number): ScenarioOptions => ({ store: () => memoryStore({ retain }), retain })
export const slowMemory = (retain: number): ScenarioOptions => ({ store: () => slowReads(memoryStore({ retain })), retain })

/** Reads a turn late and delivery a turn after the append, as a remote store's reader lags behind its writes. */
export function laggingDelivery(inner: EventStore): EventStore {
  const slow = slowReads(inner)
  return {
    ...slow,
    subscribe: (listener, lost) => inner.subscribe((event) => void setImmediate(() => listener(event)), lost),
  }
}
export const lagging = (retain: number): ScenarioOptions => ({ store: () => laggingDelivery(memoryStore({ retain })), retain })
