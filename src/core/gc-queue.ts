import { ORIGIN, after, small, type Cancel } from './scheduler'

interface Collectable {
  /** When it may go (see GcQueue); undefined when not scheduled. */
  gcDue: number | undefined
}

/**
 * Garbage collection with one timer for the whole cache instead of one per
 * entry (a Node timer weighs more than a cached entry). Entries with the same
 * gcTime are scheduled in time order, so each gcTime is a lane: a Set in
 * insertion order, which is due order. Rescheduling moves an entry to its
 * lane's end and cancelling takes it out, so a key `set` or remounted every
 * second holds one place, not one per change for a whole gcTime. The timer
 * waits for the earliest head.
 * Due times are on the timers' clock (Date.now, which fake timers move too),
 * counted from ORIGIN, so they are small integers stored inline.
 */
export class GcQueue<E extends Collectable> {
  private readonly lanes = new Map<number, Set<E>>()
  private timer: Cancel | null = null
  private timerDue = Infinity
  // Not a parameter property: esbuild's property mangling misses a parameter
  // property's field declaration (evanw/esbuild#4528).
  declare private readonly expire: (entry: E) => void

  constructor(expire: (entry: E) => void) {
    this.expire = expire
  }

  /** After cancel(entry): a Set keeps an entry already in it where it is. */
  schedule(entry: E, delay: number): void {
    const due = small(Date.now() - ORIGIN + delay)
    entry.gcDue = due
    let lane = this.lanes.get(delay)
    if (!lane) this.lanes.set(delay, (lane = new Set()))
    lane.add(entry)
    if (due < this.timerDue) this.arm(due)
  }

  cancel(entry: E): void {
    if (entry.gcDue === undefined) return
    entry.gcDue = undefined
    // Lanes are one per gcTime in use: one or two.
    for (const lane of this.lanes.values()) lane.delete(entry)
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
      for (const entry of lane) {
        const due = entry.gcDue!
        if (due > now) {
          next = Math.min(next, due)
          break
        }
        lane.delete(entry)
        entry.gcDue = undefined
        this.expire(entry)
      }
      if (!lane.size) this.lanes.delete(delay)
    }
    if (next !== Infinity) this.arm(next)
  }
}
