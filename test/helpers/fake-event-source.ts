import type { EventSourceLike } from '../../src/stream/connect'

type Listener = (event: MessageEvent) => void

const CONNECTING = 0
const OPEN = 1
const CLOSED = 2

/**
 * An EventSource driven by the test: `open()`, `emit()`, `drop()` (the
 * connection broke and the source is reconnecting) and `fail()` (it gave up).
 * Everything is dispatched synchronously.
 */
export class FakeEventSource implements EventSourceLike {
  readyState = CONNECTING
  closeCalls = 0
  private readonly listeners = new Map<string, Set<Listener>>()

  constructor(
    readonly url = 'fake://stream',
    readonly init: { withCredentials?: boolean } = {},
  ) {}

  addEventListener(type: string, listener: Listener): void {
    let set = this.listeners.get(type)
    if (!set) this.listeners.set(type, (set = new Set()))
    set.add(listener)
  }

  removeEventListener(type: string, listener: Listener): void {
    this.listeners.get(type)?.delete(listener)
  }

  close(): void {
    this.closeCalls += 1
    this.readyState = CLOSED
  }

  /** How many listeners are attached, over all event types. */
  listenerCount(): number {
    let count = 0
    for (const set of this.listeners.values()) count += set.size
    return count
  }

  open(): void {
    this.readyState = OPEN
    this.dispatch('open', new MessageEvent('open'))
  }

  /** Sends one event; objects are sent as their JSON text, strings as they are. */
  emit(data: unknown, options: { id?: string; event?: string } = {}): void {
    const text = typeof data === 'string' ? data : JSON.stringify(data)
    this.dispatch(options.event ?? 'message', new MessageEvent(options.event ?? 'message', { data: text, lastEventId: options.id ?? '' }))
  }

  /** The connection broke; the source will reconnect by itself. */
  drop(): void {
    this.readyState = CONNECTING
    this.dispatch('error', new MessageEvent('error'))
  }

  /**
   * The source gave up for good. A browser's error event says nothing more; the
   * `eventsource` package's carries a `message` (and the status as `code`).
   */
  fail(message?: string): void {
    this.readyState = CLOSED
    this.dispatch('error', Object.assign(new MessageEvent('error'), message === undefined ? {} : { message }))
  }

  private dispatch(type: string, event: MessageEvent): void {
    for (const listener of [...(this.listeners.get(type) ?? [])]) listener(event)
  }
}

/** An `eventSourceImpl` that records every source it constructs. */
export function fakeEventSourceImpl(): { impl: typeof EventSource; instances: FakeEventSource[] } {
  const instances: FakeEventSource[] = []
  class Recorded extends FakeEventSource {
    constructor(url: string | URL, init?: { withCredentials?: boolean }) {
      super(String(url), init)
      instances.push(this)
    }
  }
  return { impl: Recorded as unknown as typeof EventSource, instances }
}
