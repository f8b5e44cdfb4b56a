import { get, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Server } from 'node:http'

// A raw SSE reader for tests: keeps every byte received, splits it into
// frames, and waits for conditions with a bound (re-checked on each chunk,
// never by sleeping).

export interface SseFrame {
  id: string | undefined
  data: string | undefined
  /** The reconnection time the frame sets (ms), if it has a `retry:` line. */
  retry: number | undefined
  comments: string[]
}

export interface SseStream {
  readonly status: number
  readonly headers: IncomingHttpHeaders
  /** Every byte received so far, as text. */
  readonly raw: string
  /** Complete frames received so far (events and comment-only frames). */
  frames(): SseFrame[]
  /** Frames with data, their data parsed as JSON. */
  messages(): { id: string | undefined; message: Record<string, unknown> }[]
  /** Resolves once `predicate` holds; rejects after `timeoutMs` naming `what`. */
  waitFor(predicate: (stream: SseStream) => boolean, what: string, timeoutMs?: number): Promise<void>
  /** Resolves when the server ends the response or the socket closes. */
  readonly ended: Promise<void>
  readonly isEnded: boolean
  close(): void
}

export function urlOf(server: Server, path = '/events'): string {
  const { port } = server.address() as AddressInfo
  return `http://127.0.0.1:${port}${path}`
}

export function openStream(url: string, headers: Record<string, string> = {}, timeoutMs = 5_000): Promise<SseStream> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      request.destroy()
      reject(new Error(`no response from ${url} within ${timeoutMs} ms`))
    }, timeoutMs)
    const request = get(url, { headers }, (response) => {
      clearTimeout(timer)
      let raw = ''
      let isEnded = false
      const waiters = new Set<() => void>()
      const notify = () => {
        for (const check of [...waiters]) check()
      }
      let markEnded!: () => void
      const ended = new Promise<void>((done) => (markEnded = done))
      response.setEncoding('utf8')
      response.on('data', (chunk: string) => {
        raw += chunk
        notify()
      })
      const finish = () => {
        if (isEnded) return
        isEnded = true
        markEnded()
        notify()
      }
      response.on('end', finish)
      response.on('close', finish)
      response.on('error', finish)

      const stream: SseStream = {
        status: response.statusCode ?? 0,
        headers: response.headers,
        get raw() {
          return raw
        },
        get isEnded() {
          return isEnded
        },
        ended,
        frames: () => parseFrames(raw),
        messages: () =>
          parseFrames(raw)
            .filter((f) => f.data !== undefined)
            .map((f) => ({ id: f.id, message: JSON.parse(f.data!) as Record<string, unknown> })),
        waitFor(predicate, what, waitMs = 3_000) {
          return new Promise((done, fail) => {
            const check = () => {
              let ok = false
              try {
                ok = predicate(stream)
              } catch (error) {
                cleanup()
                fail(error)
                return
              }
              if (ok) {
                cleanup()
                done()
              }
            }
            const limit = setTimeout(() => {
              cleanup()
              fail(new Error(`timed out after ${waitMs} ms waiting for ${what}; received:\n${raw}`))
            }, waitMs)
            const cleanup = () => {
              clearTimeout(limit)
              waiters.delete(check)
            }
            waiters.add(check)
            check()
          })
        },
        close() {
          request.destroy()
        },
      }
      resolve(stream)
    })
    request.on('error', (error) => {
      clearTimeout(timer)
      reject(error)
    })
  })
}

/** Splits complete SSE frames (terminated by a blank line); a partial tail is left out. */
export function parseFrames(raw: string): SseFrame[] {
  const blocks = raw.split('\n\n')
  blocks.pop() // not yet terminated
  return blocks.map((block) => {
    const frame: SseFrame = { id: undefined, data: undefined, retry: undefined, comments: [] }
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) frame.comments.push(line.slice(1).trim())
      else if (line.startsWith('id: ')) frame.id = line.slice(4)
      else if (line.startsWith('retry: ')) frame.retry = Number(line.slice(7))
      else if (line.startsWith('data: ')) frame.data = frame.data === undefined ? line.slice(6) : `${frame.data}\n${line.slice(6)}`
    }
    return frame
  })
}
