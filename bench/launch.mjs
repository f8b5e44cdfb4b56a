// `npm run bench` runs the bench bundled by esbuild (bench/.run.mjs), not
// through tsx: tsx keeps function names by wrapping every named closure in a
// helper call, a cost paid on each render by adapters that pass an inline
// `fetcher:` or `queryFn:` and by none that pass a bare argument, which skews
// the comparison. A bundle hoists its package imports above its own code, so
// React's build is chosen here, before the bundle (and React) loads.
process.env.NODE_ENV = process.argv.includes('--dev') ? 'development' : 'production'
await import('./.run.mjs')
