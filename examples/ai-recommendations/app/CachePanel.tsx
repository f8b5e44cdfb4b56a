import { useSyncExternalStore } from 'react'
import type { Entry } from '../../../src/index'
import type { CacheView } from './use-cache-view'
import { formatAge } from './format'
import { notModifiedCount, subscribeNotModified } from './revalidation-counter'
import { useServerStats } from './use-server-stats'

/** What this tab's cache holds and what it saved the backend. */
export function CachePanel({ view, staleTime }: { view: CacheView; staleTime: number }) {
  const notModified = useSyncExternalStore(subscribeNotModified, notModifiedCount)
  const server = useServerStats()
  const { stats } = view
  // A hit or a dedupe is a request this tab never sent.
  const saved = stats.hits + stats.deduped
  const rows = [...view.entries.values()].sort(byKeyThenSegment)
  const now = Date.now()
  return (
    <aside data-testid="cache-panel">
      <h2>
        Cache <span className="badge">recommender {view.modelVersion} in this tab</span>
      </h2>
      <div className="stats">
        <Stat name="fetches" value={stats.fetches} />
        <Stat name="deduped" value={stats.deduped} />
        <Stat name="hits" value={stats.hits} />
        <Stat name="misses" value={stats.misses} />
        <Stat name="304s" id="not-modified" value={notModified} />
        <Stat name="in flight" id="in-flight" value={stats.inFlight} />
        <Stat name="calls saved" id="saved" value={saved} />
        <Stat name="entries" value={stats.entries} />
      </div>
      {server && (
        <p className="muted" data-testid="server-stats">
          Server (all tabs): {counted(server.modelRuns, 'model run')}, {server.notModified} answered 304,{' '}
          {counted(server.published, 'invalidation')} published.
        </p>
      )}
      <table>
        <thead>
          <tr>
            <th>key</th>
            <th>segment</th>
            <th>tags</th>
            <th>model</th>
            <th>age</th>
            <th>state</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((entry) => (
            <EntryRow key={JSON.stringify([entry.key, entry.segment ?? null])} entry={entry} now={now} staleTime={staleTime} />
          ))}
        </tbody>
      </table>
    </aside>
  )
}

function Stat({ name, value, id = name }: { name: string; value: number; id?: string }) {
  return (
    <span>
      {name} <b data-testid={`stat-${id}`}>{value}</b>
    </span>
  )
}

function EntryRow({ entry, now, staleTime }: { entry: Entry<unknown>; now: number; staleTime: number }) {
  // The snapshot's isStale flips on invalidation; ageing past staleTime sends
  // no event, so the panel works that part out from the clock itself.
  const stale = entry.isStale || now - entry.updatedAt >= staleTime
  const state = entry.isFetching ? 'fetching' : entry.status !== 'success' ? entry.status : stale ? 'stale' : 'fresh'
  return (
    <tr
      data-testid="entry-row"
      data-key={JSON.stringify(entry.key)}
      data-segment={entry.segment ?? ''}
      data-updated-at={entry.updatedAt}
      data-model-version={entry.modelVersion ?? ''}
      data-state={state}
    >
      <td>{describeKey(entry.key)}</td>
      <td className="nowrap">{entry.segment ?? '—'}</td>
      <td className="tags">{entry.tags.length ? entry.tags.join(' ') : '—'}</td>
      <td>{entry.modelVersion ?? '—'}</td>
      <td className="nowrap">{entry.updatedAt ? formatAge(Math.max(0, now - entry.updatedAt)) : '—'}</td>
      <td className={state === 'fresh' ? 'fresh' : state === 'stale' ? 'stale' : ''}>{state}</td>
    </tr>
  )
}

/** `recommendations ada` for `['recommendations', { user: 'ada' }]`: short enough for the panel. */
function describeKey(key: readonly unknown[]): string {
  return key
    .map((part) =>
      typeof part === 'object' && part !== null ? Object.values(part).map(String).join(' ') : String(part),
    )
    .join(' ')
}

function byKeyThenSegment(a: Entry<unknown>, b: Entry<unknown>): number {
  const left = JSON.stringify([a.key, a.segment ?? ''])
  const right = JSON.stringify([b.key, b.segment ?? ''])
  return left < right ? -1 : left > right ? 1 : 0
}

/** `1 model run`, `2 model runs`. */
function counted(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`
}
