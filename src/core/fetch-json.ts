import { notModified, versioned } from './result'
import type { FetchContext, NotModified, Versioned } from './types'

/** An Error from a non-2xx response; `status` 400–499 is never retried. */
export interface HttpError extends Error {
  status: number
}

/**
 * A fetcher over `fetch()`: sends the cached ETag as If-None-Match (with a
 * GET or HEAD: other methods send none), answers `notModified` on 304, keeps
 * the response's ETag, passes the abort signal (and `init.signal`, if given:
 * either one aborts), and throws an Error carrying `status` on any other non-2xx. A 204, 205 or empty body is
 * `undefined`; a body that is not JSON throws an Error naming the URL.
 * A cross-origin API must expose its ETag (`Access-Control-Expose-Headers:
 * ETag`), or no request can ever be answered with a 304, and allow
 * If-None-Match in its preflight (`Access-Control-Allow-Headers`): a
 * revalidation it refuses is sent again without it (a 200).
 */
export function fetchJson<T = unknown>(
  url: string | URL,
  init?: RequestInit,
): (ctx: FetchContext) => Promise<T | Versioned<T> | NotModified> {
  return async (ctx) => {
    const headers = new Headers(init?.headers)
    if (!headers.has('accept')) headers.set('accept', 'application/json')
    // A revalidation is a GET's (or HEAD's): on any other method If-None-Match is a
    // precondition, and a server answers a match with 412, so the query would fail.
    const method = init?.method?.toUpperCase() ?? 'GET'
    if (ctx.etag !== undefined && (method === 'GET' || method === 'HEAD')) {
      try {
        headers.set('if-none-match', ctx.etag)
      } catch {
        // Not a header value (a server event or set() gave it): sent without it, the
        // 200's ETag replaces it. Throwing would fail every refetch, for ever.
      }
    }
    const either = init?.signal ? eitherSignal(init.signal, ctx.signal) : undefined
    let response: Response
    let text: string
    try {
      const signal = either?.signal ?? ctx.signal
      try {
        response = await fetch(url, { ...init, headers, signal })
      } catch (error) {
        // If-None-Match is not a CORS-safelisted header: across origins it needs a
        // preflight that allows it. An API that exposes ETag but not that fails every
        // revalidation with a bare TypeError, though the request works without it.
        if (!(error instanceof TypeError) || signal.aborted || !headers.has('if-none-match') || !crossOrigin(url)) throw error
        headers.delete('if-none-match')
        response = await fetch(url, { ...init, headers, signal })
      }
      const { status } = response
      if (status !== 304 && !response.ok) {
        // The error page is not read: cancelled, so its connection is let go now (Node
        // holds it until the response is collected otherwise).
        response.body?.cancel().catch(() => {})
        throw httpError(`fetchJson: ${String(url)} answered ${status} ${response.statusText}`.trim(), status)
      }
      // A 304's empty body is read too, so DevTools shows the request finished, not cancelled.
      text = status === 204 || status === 205 ? '' : await response.text()
    } finally {
      // Either signal aborts the body's read too; after it, a long-lived init.signal keeps nothing of this fetch.
      either?.unlink()
    }
    const { status } = response
    if (status === 304) return notModified
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

/** The request goes to another origin than the page's (never, outside a browser). */
function crossOrigin(url: string | URL): boolean {
  return typeof location !== 'undefined' && new URL(url, location.href).origin !== location.origin
}

function httpError(message: string, status: number, cause?: unknown): HttpError {
  const error = new Error(message, { cause }) as HttpError
  error.status = status
  return error
}

/**
 * A signal that aborts when either one does, and `unlink()` to detach it from
 * both once the request is done. Not AbortSignal.any: a long-lived signal (an
 * app's logout or shutdown signal, given as `init.signal`) keeps every signal
 * made from it by any() as long as it lives (Node 20, Deno, older browsers:
 * one per fetch, never freed), and a listener never removed does the same.
 */
function eitherSignal(a: AbortSignal, b: AbortSignal): { signal: AbortSignal; unlink(): void } {
  const controller = new AbortController()
  const signals = [a, b]
  const unlink = () => {
    for (const signal of signals) signal.removeEventListener('abort', abort)
  }
  function abort(this: AbortSignal) {
    unlink()
    controller.abort(this.reason)
  }
  const aborted = signals.find((signal) => signal.aborted)
  if (aborted) controller.abort(aborted.reason)
  else for (const signal of signals) signal.addEventListener('abort', abort)
  return { signal: controller.signal, unlink }
}
