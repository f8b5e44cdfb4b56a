// Event ids in the `<ms>-<seq>` shape of Redis stream ids. The memory store
// uses the same shape so that both stores order and compare ids one way, and
// so that an id from before a hub restart sorts below every id issued after it
// (the restarted store then answers 'unavailable' instead of a wrong replay).

const streamIdPattern = /^(\d{1,20})-(\d{1,20})$/
// Both parts are unsigned 64-bit integers in Redis.
const maxPart = '18446744073709551615'

/** True for a well-formed `<ms>-<seq>` id (what a browser may send back as Last-Event-ID). */
export function isStreamId(id: string): boolean {
  const match = streamIdPattern.exec(id)
  if (match === null) return false
  return [match[1]!, match[2]!].every((part) => !hasLeadingZero(part) && compareDigits(part, maxPart) <= 0)
}

// Compared as digit strings: length first, then text. Exact for any length,
// where Number would round a 20-digit sequence number.
function compareDigits(a: string, b: string): number {
  if (a.length !== b.length) return a.length - b.length
  return a < b ? -1 : a > b ? 1 : 0
}

function hasLeadingZero(digits: string): boolean {
  return digits.length > 1 && digits.startsWith('0')
}

/** Orders two well-formed `<ms>-<seq>` ids: negative, zero or positive. */
export function compareStreamIds(a: string, b: string): number {
  const dashA = a.indexOf('-')
  const dashB = b.indexOf('-')
  return compareDigits(a.slice(0, dashA), b.slice(0, dashB)) || compareDigits(a.slice(dashA + 1), b.slice(dashB + 1))
}

/**
 * Issues increasing ids from a millisecond clock, as Redis does for `XADD *`:
 * the clock's time while it moves forward, the last time again (with the next
 * sequence number) when it stands still or steps back.
 */
export function streamIdGenerator(now: () => number = Date.now): () => string {
  let lastMs = 0
  let seq = 0
  return () => {
    const ms = Math.max(Math.floor(now()), lastMs)
    seq = ms === lastMs ? seq + 1 : 0
    lastMs = ms
    return `${ms}-${seq}`
  }
}
