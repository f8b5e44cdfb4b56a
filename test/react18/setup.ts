// Setup of the React 18 project (vitest.react18.config.ts): fails every file
// at once if an alias did not take and the suites would run on React 19.
import { useState, version } from 'react'
import { version as domVersion } from 'react-dom'
import { version as serverVersion } from 'react-dom/server'

for (const [name, v] of [['react', version], ['react-dom', domVersion], ['react-dom/server', serverVersion]] as const) {
  if (!v.startsWith('18.')) throw new Error(`vitest.react18.config.ts: ${name} is ${v}, not 18.x`)
}

if (typeof document !== 'undefined') {
  // A hook rendered by Testing Library works only if its react-dom is the
  // React 18 above: on React 19's, the hook throws and the render never commits.
  const { renderHook } = await import('@testing-library/react')
  const hook = renderHook(() => useState('rendered')[0])
  const rendered = hook.result.current
  hook.unmount()
  if (rendered !== 'rendered') throw new Error('vitest.react18.config.ts: Testing Library does not render with React 18')
}
