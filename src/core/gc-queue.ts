import { after, type Cancel } from './scheduler'

interface Collectable {
  /** When it may go (Date.now() time); 0 when not scheduled. */
  gcDue: number
}

interface Lane<E> {
  entries: E[]
  dues: number[]
  head: number
}

/**
 * Garbage collection with one timer for the whole cache instead of one per
 * entry (a Node timer weighs more than a cached entry). Entries with the same
 * gcTime are scheduled in time order, so each gcTime is a FIFO lane; the
 * timer waits for the earliest head. Unscheduling is lazy: an entry whose
 * `gcDue` changed since it was queued is skipped when its turn comes.
 * Due times are on the timers' clock (Date.now), which fake timers move too.
 */
export class GcQueue<E extends Collectable> {
  private readonly lanes = new Map<number, Lane<E>>()
  private timer: Cancel | null = null
  private timerDue = Infinity
  // Not a parameter property: esbuild's property mangling misses a parameter
  // property's field declaration (evanw/esbuild#4528).
  private readonly expire: (entry: E) => void

  constructor(expire: (entry: E) => void) {
    this.expire = expire
  }

  schedule(entry: E, delay: number): void {
    const due = Date.now() + delay
    entry.gcDue = due
    let lane = this.lanes.get(delay)
    if (!lane) this.lanes.set(delay, (lane = { entries: [], dues: [], head: 0 }))
    lane.entries.push(entry)
    lane.dues.push(due)
    if (due < this.timerDue) this.arm(due)
  }

  cancel(entry: E): void {
    entry.gcDue = 0
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
    this.timer = after(Math.max(0, due - Date.now()), this.sweep)
  }

  private readonly sweep = (): void => {
    this.timer = null
    this.timerDue = Infinity
    const now = Date.now()
    let next = Infinity
    for (const [delay, lane] of this.lanes) {
      const { entries, dues } = lane
      while (lane.head < entries.length) {
        const entry = entries[lane.head]!
        const due = dues[lane.head]!
        if (entry.gcDue !== due) {
          lane.head++ // rescheduled or cancelled since
          continue
        }
        if (due > now) break
        lane.head++
        entry.gcDue = 0
        this.expire(entry)
      }
      if (lane.head === entries.length) this.lanes.delete(delay)
      else {
        if (lane.head > 64 && lane.head * 2 > entries.length) {
          entries.splice(0, lane.head)
          dues.splice(0, lane.head)
          lane.head = 0
        }
        next = Math.min(next, dues[lane.head]!)
      }
    }
    if (next !== Infinity) this.arm(next)
  }
}
