import { useCallback, useInsertionEffect, useRef, useState } from 'react'
import { internalsOf } from '../core/internals'
import { matchTarget } from '../core/match'
import { reportBug } from '../core/report-error'
import type { Cache, InvalidationTarget, QueryKey } from '../core/types'
import type { CacheContextValue } from './context'
import { applyOptimistic, type OptimisticLayer } from './optimistic'
import { useCacheContext } from './use-cache'

export interface UseMutationOptions<TData, TVars> {
  mutationFn: (vars: TVars) => Promise<TData>
  /**
   * Invalidated (marked stale, refetched in the background) once the mutation
   * succeeds: all of them, or none if one is bad. Like `useInvalidate`, a target
   * without `segment` hits every segment.
   */
  invalidates?: (readonly InvalidationTarget[] | ((data: TData, vars: TVars) => readonly InvalidationTarget[])) | undefined
  /**
   * Applied to the entry before `mutationFn` runs, and rolled back exactly
   * (only this change) if it fails. The segment defaults to the provider's.
   * `update` may run again (when another pending update of the entry rolls
   * back): keep it pure, and pass a temporary id in `vars`.
   */
  optimistic?: { key: QueryKey; segment?: string | undefined; update: (old: unknown, vars: TVars) => unknown } | undefined
  onSuccess?: ((data: TData, vars: TVars) => void) | undefined
  onError?: ((error: Error, vars: TVars) => void) | undefined
}

export type MutationStatus = 'idle' | 'pending' | 'success' | 'error'

/** What `useMutation` returns. Checking `status` narrows `data` and `error`. */
export type UseMutationResult<TData, TVars> = MutationActions<TData, TVars> & MutationState<TData>

/** The functions of a mutation result: each keeps one identity across renders. */
export interface MutationActions<TData, TVars> {
  /** Runs the mutation; a failure is reported to `onError` and `error`, never thrown. */
  mutate(vars: TVars): void
  /** Resolves with the data once the mutation's invalidations are marked. */
  mutateAsync(vars: TVars): Promise<TData>
  /** Back to `idle`; a call still in flight no longer updates the state. */
  reset(): void
}

/** The state of the latest call. */
export type MutationState<TData> =
  | { readonly status: 'idle' | 'pending'; readonly data: undefined; readonly error: undefined }
  | { readonly status: 'success'; readonly data: TData; readonly error: undefined }
  | { readonly status: 'error'; readonly data: undefined; readonly error: Error }

const idle: MutationState<never> = { status: 'idle', data: undefined, error: undefined }

export function useMutation<TData, TVars = void>(
  options: UseMutationOptions<TData, TVars>,
): UseMutationResult<TData, TVars> {
  const context = useCacheContext('useMutation')
  const [state, setState] = useState<MutationState<TData>>(idle)
  // The options and provider of the committed render, read when a call
  // starts, so mutate and mutateAsync keep one identity across renders. Set at
  // commit, before any layout or passive effect runs (a child's effect may
  // mutate): a render React has not shown (a transition held by Suspense) must
  // not send the mutation of a post that is not on screen yet.
  const latest = useRef({ options, context })
  useInsertionEffect(() => {
    latest.current = { options, context }
  })
  // Only the latest call (since the last reset) writes the state.
  const calls = useRef(0)

  const mutateAsync = useCallback(async (vars: TVars): Promise<TData> => {
    const call = ++calls.current
    const { options: opts, context: ctx } = latest.current
    const report = (next: MutationState<TData>) => {
      if (calls.current === call) setState(next)
    }
    const fail = async (error: Error): Promise<never> => {
      report({ status: 'error', data: undefined, error })
      try {
        // Awaited, as TanStack Query does: an async onError that rejects is
        // reported like one that throws, never an unhandled rejection.
        await opts.onError?.(error, vars)
      } catch (thrown) {
        // A bug in onError: reported, not in place of the mutation's error
        // (and not lost behind mutate()), as TanStack Query does.
        reportBug(ctx.cache, toError(thrown))
      }
      throw error
    }
    report({ status: 'pending', data: undefined, error: undefined })
    let layer: OptimisticLayer | undefined
    let data: TData
    try {
      layer = optimisticLayer(opts, ctx, vars)
      data = await opts.mutationFn(vars)
    } catch (thrown) {
      const error = toError(thrown)
      undo(layer, ctx.cache)
      return fail(error)
    }
    const mark = () => {
      const targets = (typeof opts.invalidates === 'function' ? opts.invalidates(data, vars) : opts.invalidates) ?? []
      // All or nothing: every target is matched (a bad field, a predicate that
      // throws) before any is marked; one alone is, as it is marked.
      const core = targets.length > 1 ? internalsOf(ctx.cache, false) : undefined
      if (core) for (const target of targets) matchTarget(core.entries, core.index, target)
      // Marking is synchronous; the refetches go on in the background.
      for (const target of targets) void ctx.cache.invalidate(target).catch(ignore)
    }
    try {
      // The layer tells a fetch that read before the server took the change
      // from the refetches the marking starts.
      if (layer) layer.confirm(mark)
      else mark()
    } catch (thrown) {
      // Nothing was marked: the call settles as failed, and so its
      // optimistic change is rolled back, as when mutationFn fails.
      undo(layer, ctx.cache)
      return fail(toError(thrown))
    }
    try {
      // Awaited, as TanStack Query does (`await mutateAsync()` then navigate):
      // an async onSuccess that rejects fails the call as one that throws.
      await opts.onSuccess?.(data, vars)
    } catch (thrown) {
      // The call settles as failed (as in TanStack Query), never as a success
      // that rejects. Its invalidations are marked, so its change stays: the
      // server took it, and the refetches bring what the server holds.
      return fail(toError(thrown))
    }
    report({ status: 'success', data, error: undefined })
    return data
  }, [])

  const mutate = useCallback((vars: TVars) => void mutateAsync(vars).catch(ignore), [mutateAsync])
  const reset = useCallback(() => {
    calls.current++
    setState(idle)
  }, [])

  return { mutate, mutateAsync, reset, ...state }
}

/** Rolls back a failed call's optimistic change. */
function undo(layer: OptimisticLayer | undefined, cache: Cache): void {
  try {
    layer?.rollback()
  } catch (thrown) {
    // The mutation's own error is the one to report; the failed undo (an
    // updater that throws on what the entry holds now) goes to onError.
    reportBug(cache, toError(thrown))
  }
}

function optimisticLayer<TData, TVars>(
  options: UseMutationOptions<TData, TVars>,
  context: CacheContextValue,
  vars: TVars,
) {
  const optimistic = options.optimistic
  if (optimistic === undefined) return undefined
  const segment = optimistic.segment ?? context.segment
  return applyOptimistic(context.cache, optimistic.key, segment, (old) => optimistic.update(old, vars))
}

/**
 * A thrown value that is not an Error becomes one, with the value as `cause`:
 * an error body thrown as is (`throw await res.json()`) keeps its `message`
 * and `status`; anything else is described, and never throws doing so.
 */
function toError(thrown: unknown): Error {
  if (thrown instanceof Error) return thrown
  const { message, status } = Object(thrown) as { message?: unknown; status?: unknown }
  const error = new Error(typeof message === 'string' ? message : describe(thrown), { cause: thrown })
  if (typeof status === 'number') (error as Error & { status: number }).status = status
  return error
}

function describe(value: unknown): string {
  try {
    return typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value))
  } catch {
    return Object.prototype.toString.call(value)
  }
}

function ignore(): void {}
