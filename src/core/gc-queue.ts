import { ORIGIN, after, small, type Cancel } from './scheduler'

interface Collectable {
  /** When it may go (see GcQueue); undefined when not scheduled. */
  gcDue: number | undefined
}

interface Lane<E> {
  /** Entry, due, entry, due … in the order they were scheduled. */
  queue: (E | number)[]
  head: number
}

/**
 * Garbage collection with one timer for the whole cache instead of one per
 * entry (a Node timer weighs more than a cached entry). Entries with the same
 * gcTime are scheduled in time order, so each gcTime is a FIFO lane; the
 * timer waits for the earliest head. Unscheduling is lazy: an entry whose
 * `gcDue` changed since it was queued is skipped when its turn comes.
 * Due times are on the timers' clock (Date.now, which fake timers move too),
 * counted from ORIGIN, so they are small integers stored inline.
 */
export class GcQueue<E extends Collectable> {
  private readonly lanes = new Map<number, Lane<E>>()
  private timer: Cancel | null = null
  private timerDue = Infinity
  // Not a parameter property: esbuild's property mangling misses a parameter
  // property's field declaration (evanw/esbuild#4528).
  declare private readonly expire: (entry: E) => void

  constructor(expire: (entry: E) => void) {
    this.expire = expire
  }

  schedule(entry: E, delay: number): void {
    const due = small(Date.now() - ORIGIN + delay)
    entry.gcDue = due
    let lane = this.lanes.get(delay)
    if (!lane) this.lanes.set(delay, (lane = { queue: [], head: 0 }))
    lane.queue.push(entry, due)
    if (due < this.timerDue) this.arm(due)
  }

  cancel(entry: E): void {
    entry.gcDue = undefined
  }

  clear(): void {
    this.lanes.clear()
    this.timer?.()
    this.timer = null
    this.timerDue = Infinity
  }

  private arm(due: number): void {
    this.timer?.()
    this.timerDue = due
    this.timer = after(Math.max(0, due + ORIGIN - Date.now()), this.sweep)
  }

  private readonly sweep = (): void => {
    this.timer = null
    this.timerDue = Infinity
    const now = Date.now() - ORIGIN
    let next = Infinity
    for (const [delay, lane] of this.lanes) {
      const { queue } = lane
      while (lane.head < queue.length) {
        const entry = queue[lane.head] as E
        const due = queue[lane.head + 1] as number
        if (entry.gcDue !== due) {
          lane.head += 2 // rescheduled or cancelled since
          continue
        }
        if (due > now) break
        lane.head += 2
        entry.gcDue = undefined
        this.expire(entry)
      }
      if (lane.head === queue.length) this.lanes.delete(delay)
      else {
        if (lane.head > 128 && lane.head * 2 > queue.length) {
          queue.splice(0, lane.head)
          lane.head = 0
        }
        next = Math.min(next, queue[lane.head + 1] as number)
      }
    }
    if (next !== Infinity) this.arm(next)
  }
}
