import { build, type Plugin } from 'esbuild'
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import type { ScenarioResult } from './results'

const here = dirname(fileURLToPath(import.meta.url))

// Every library is measured as published: TanStack and SWR from their npm
// files, cachet from its build output (`npm run build`), which is what users
// install (its internal member names are shortened there, see tsup.config.ts).
const published = join(here, '..', 'dist', 'index.js')

/** Where each library's whole public surface comes from. */
const PACKAGES: Record<string, string> = {
  cachet: published,
  tanstack: '@tanstack/react-query',
  swr: 'swr',
}

/**
 * min+gzip bytes of one entry, built the same way for every library: esbuild
 * bundle, ESM, minified, production defines, react and react-dom left out
 * (the app ships them anyway), gzip at zlib's default level.
 */
export async function minGzip(entry: { path: string } | { contents: string }): Promise<number> {
  if (!existsSync(published)) throw new Error('bundle: run `npm run build` first (cachet is measured from dist/)')
  const result = await build({
    plugins: [fromDist],
    ...('path' in entry
      ? { entryPoints: [entry.path] }
      : { stdin: { contents: entry.contents, resolveDir: here, loader: 'ts' } }),
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    jsx: 'automatic',
    write: false,
    logLevel: 'silent',
    external: ['react', 'react-dom', 'react/jsx-runtime'],
    define: { 'process.env.NODE_ENV': '"production"' },
  })
  const code = result.outputFiles[0]!.contents
  return gzipSync(code).length
}

/** The cachet app entry imports `src/index` (so it typechecks without a build); bundle `dist/` instead. */
const fromDist: Plugin = {
  name: 'cachet-from-dist',
  setup(b) {
    b.onResolve({ filter: /\/src\/index$/ }, () => ({ path: published }))
  },
}

export async function measureBundles(libraries: readonly string[]): Promise<ScenarioResult> {
  const rows: ScenarioResult['rows'] = {}
  for (const library of libraries) {
    try {
      const app = await minGzip({ path: join(here, 'bundle-entries', `${library}.tsx`) })
      const all = await minGzip({ contents: `export * from ${JSON.stringify(PACKAGES[library])}` })
      const one = (value: number) => ({ median: value, min: value, max: value, runs: 1 })
      rows[library] = { metrics: { app: one(app), all: one(all) } }
    } catch (error) {
      rows[library] = { error: (error instanceof Error ? error.message : String(error)).split('\n')[0]! }
    }
  }
  return {
    id: 'bundle',
    title: 'min+gzip bytes (esbuild, react external)',
    metrics: [
      { id: 'app', label: 'small app: provider + query + invalidation', unit: 'B', headline: true },
      { id: 'all', label: 'whole package', unit: 'B' },
    ],
    rows,
    reference: { name: 'budget 6.0 kB', value: 6000 },
  }
}
