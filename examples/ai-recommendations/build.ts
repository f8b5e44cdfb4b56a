import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

const entry = fileURLToPath(new URL('./app/main.tsx', import.meta.url))

/**
 * Bundles the page (React, cachet from src/, the app) into one script, in
 * memory: the server holds it, nothing is written to disk. React's
 * development build keeps its warnings on: this is a demo to learn from.
 */
export async function buildPage(): Promise<string> {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    jsx: 'automatic',
    sourcemap: 'inline',
    define: { 'process.env.NODE_ENV': '"development"' },
    logLevel: 'silent',
  })
  const output = result.outputFiles[0]
  if (!output) throw new Error('esbuild produced no output for the demo page')
  return output.text
}
