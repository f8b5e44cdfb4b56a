import { notModified, versioned } from './result'
import type { FetchContext, NotModified, Versioned } from './types'

/** An Error from a non-2xx response; `status` 400–499 is never retried. */
export interface HttpError extends Error {
  status: number
}

/**
 * A fetcher over `fetch()`: sends the cached ETag as If-None-Match, answers
 * `notModified` on 304, keeps the response's ETag, passes the abort signal,
 * and throws an Error carrying `status` on any other non-2xx.
 */
export function fetchJson<T = unknown>(
  url: string | URL,
  init?: RequestInit,
): (ctx: FetchContext) => Promise<T | Versioned<T> | NotModified> {
  return async (ctx) => {
    const headers = new Headers(init?.headers)
    if (!headers.has('accept')) headers.set('accept', 'application/json')
    if (ctx.etag !== undefined) headers.set('if-none-match', ctx.etag)
    const response = await fetch(url, { ...init, headers, signal: ctx.signal })
    if (response.status === 304) return notModified
    if (!response.ok) {
      const error = new Error(`fetchJson: ${String(url)} answered ${response.status} ${response.statusText}`.trim()) as HttpError
      error.status = response.status
      throw error
    }
    const data = (await response.json()) as T
    const etag = response.headers.get('etag')
    return etag === null ? data : versioned(data, etag)
  }
}
