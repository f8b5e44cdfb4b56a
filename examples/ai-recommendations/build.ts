import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

const entry = fileURLToPath(new URL('./app/main.tsx', import.meta.url))

/** The page's script and its source map, served as /app.js and /app.js.map. */
export interface PageBundle {
  js: string
  map: string
}

/**
 * Bundles the page (React, cachet from src/, the app) into one script, in
 * memory: the server holds it, nothing is written to disk. React's
 * development build keeps its warnings on: this is a demo to learn from. The
 * source map is a separate file, fetched only when devtools open, so page
 * loads stay quick.
 */
export async function buildPage(): Promise<PageBundle> {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    outfile: 'app.js',
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    jsx: 'automatic',
    sourcemap: 'linked',
    define: { 'process.env.NODE_ENV': '"development"' },
    logLevel: 'silent',
  })
  const js = result.outputFiles.find((file) => file.path.endsWith('app.js'))
  const map = result.outputFiles.find((file) => file.path.endsWith('app.js.map'))
  if (!js || !map) throw new Error('esbuild produced no output for the demo page')
  return { js: js.text, map: map.text }
}
