import { notModified, versioned } from './result'
import type { FetchContext, NotModified, Versioned } from './types'

/** An Error from a non-2xx response; `status` 400–499 is never retried. */
export interface HttpError extends Error {
  status: number
}

/**
 * A fetcher over `fetch()`: sends the cached ETag as If-None-Match, answers
 * `notModified` on 304, keeps the response's ETag, passes the abort signal
 * (and `init.signal`, if given: either one aborts), and throws an Error
 * carrying `status` on any other non-2xx. A 204, 205 or empty body is
 * `undefined`; a body that is not JSON throws an Error naming the URL.
 * A cross-origin API must expose its ETag (`Access-Control-Expose-Headers:
 * ETag`), or no request can ever be answered with a 304.
 */
export function fetchJson<T = unknown>(
  url: string | URL,
  init?: RequestInit,
): (ctx: FetchContext) => Promise<T | Versioned<T> | NotModified> {
  return async (ctx) => {
    const headers = new Headers(init?.headers)
    if (!headers.has('accept')) headers.set('accept', 'application/json')
    if (ctx.etag !== undefined) headers.set('if-none-match', ctx.etag)
    const signal = init?.signal ? eitherSignal(init.signal, ctx.signal) : ctx.signal
    const response = await fetch(url, { ...init, headers, signal })
    const { status } = response
    if (status === 304) {
      // Its empty body is read, so DevTools shows the request finished, not cancelled.
      await response.text()
      return notModified
    }
    if (!response.ok) throw httpError(`fetchJson: ${String(url)} answered ${status} ${response.statusText}`.trim(), status)
    const text = status === 204 || status === 205 ? '' : await response.text()
    let data: T
    try {
      data = (text === '' ? undefined : JSON.parse(text)) as T
    } catch (cause) {
      throw httpError(`fetchJson: ${String(url)} answered ${status} with a body that is not JSON: ${(cause as Error).message}`, status, cause)
    }
    const etag = response.headers.get('etag')
    return etag === null ? data : versioned(data, etag)
  }
}

function httpError(message: string, status: number, cause?: unknown): HttpError {
  const error = new Error(message, { cause }) as HttpError
  error.status = status
  return error
}

/** Aborts when either signal does (AbortSignal.any where the platform has it). */
function eitherSignal(a: AbortSignal, b: AbortSignal): AbortSignal {
  if (typeof AbortSignal.any === 'function') return AbortSignal.any([a, b])
  const controller = new AbortController()
  for (const signal of [a, b]) {
    if (signal.aborted) controller.abort(signal.reason)
    else signal.addEventListener('abort', () => controller.abort(signal.reason), { once: true })
  }
  return controller.signal
}
