import { defineConfig } from 'tsup'

/**
 * Internal member names the build shortens (esbuild `mangleProps`): long
 * names read well in the source but are repeated hundreds of times in the
 * bundle. Only names that are ours alone go here: never a public field or
 * method (Entry, options, Cache, CacheEvent, the observer methods React
 * calls), never a name a platform or dependency object also has (Map, Set,
 * Promise, AbortSignal, DOM, EventEmitter), and never a name of anything that
 * is serialized (server messages, BroadcastChannel posts). Tests run on the
 * source, so `bench/dist-smoke.ts` (part of `npm run check:dist`) exercises the
 * built files to prove a name here never breaks them.
 *
 * Each format is one esbuild run over both entries and their shared chunk,
 * so a name is shortened the same way everywhere it is used.
 */
const internalMembers = [
  // Shared by several internal classes; none is a platform or public name.
  'options', // CacheCore, Observer (never an option object's own field: those are read as variables)
  'query', // QueryEntry's latest query options
  'hash', // HashedKey, QueryEntry
  'promise', // Flight and its follow-up
  'head', // ConcurrencyGate, gc lanes
  'running', // ConcurrencyGate
  'queuedCount', // ConcurrencyGate (stats() reports it as the public 'queued')
  'limit',
  'enter',
  'leave',
  'start', // a gate's waiter
  'controller', // Flight's lazy AbortController
  'index', // CacheCore's invalidation index
  'host', // QueryEntry's cache
  'active', // CacheCore's observed entries
  'listeners', // CacheCore's event listeners, the stream's and stores' own
  'listener', // Observer
  'sync', // Observer: follow the options at commit
  'renew', // Observer: its entry was removed (clear)
  'watched',
  'moving', // Observer: its options name an entry it is not attached to
  'shown', // Observer: the options of the last commit
  'emit',
  'settle',
  'cancel', // GcQueue
  'flush', // NotifyBatch
  'timer', // GcQueue
  'pending', // NotifyBatch, the hub's parked events
  'result', // QueryStore
  'track', // TrackedResult
  'ancestors', // key hashing walk
  // QueryEntry (src/core/entry.ts)
  'snapshot',
  'published',
  'flight',
  'observers',
  'gcDue',
  'staleTimer',
  'removed',
  'unannounced',
  'invalidated',
  'hasObservers',
  'sinceOrigin',
  'superseded',
  'supersede',
  'indexTags',
  'keptKey',
  'lossy',
  'isActive',
  'ofModel',
  'computeStale',
  'restamp',
  'applyOptions',
  'applyTags',
  'silently',
  'dispatch',
  // Flight
  'hasCaller',
  'joinable',
  'startedWith',
  'followUp',
  'over',
  'isAborted',
  'abortReason',
  'rethrowAbort',
  'stop', // Flight (not 'abort': AbortController has one)
  // CacheCore and its EntryHost side (src/core/cache-core.ts)
  'gate',
  'modelVersions', // (the option is the public 'models')
  'batch',
  'counters',
  'detachEnvironment',
  'changed',
  'staleTimeChanged',
  'ensure',
  'lookup',
  'report',
  'announce',
  'ensureForQuery',
  'liveEntry',
  'scheduleGc',
  'scheduleStaleFlip',
  'versionOf',
  'fetchQuery',
  'fetchEntry',
  'startFetch',
  'isSuperseded',
  'landSuperseded',
  'landFresh',
  'answer',
  'landError',
  'maybeAbort',
  'abandon',
  'attach',
  'detach',
  'attachEnvironment',
  'refetchActive',
  'invalidateEntry',
  // InvalidationIndex
  'byTag',
  'byPrefix',
  'eachPrefix',
  'setTags',
  'prefixes',
  'countSegment',
  'setModel',
  'setVersion',
  // GcQueue and the scheduler
  'lanes',
  'timerDue',
  'expire',
  'schedule',
  'sweep',
  'arm',
  'waiting',
  'cancelled',
  'scheduled',
  // Observer (src/core/observer.ts)
  'core',
  'hashed',
  'attachedTo',
  'stopInterval',
  'readEntry',
  'intervalMs',
  'counted',
  'notify',
  'mount',
  'startInterval',
  // QueryStore (src/react/tracked-result.ts)
  'observer',
  'tracked',
  'derivedSelect',
  'derivedPlaceholder',
  'returned',
  'rendered',
  'selectedFrom',
  'markRead',
  'differs',
  'derive',
  'applySelect',
  'boundRefetch',
  'renderSelect',
  'renderPlaceholder',
  'derivedEntry',
  'latestState',
  'storeCache',
  'ownerStore', // TrackedResult
  'readState',
]

export default defineConfig({
  entry: { index: 'src/index.ts', 'server/index': 'src/server/index.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'es2022',
  treeshake: true,
  external: ['react', 'zod', 'ioredis'],
  esbuildOptions(options) {
    options.mangleProps = new RegExp(`^(${internalMembers.join('|')})$`)
  },
})
