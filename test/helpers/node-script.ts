import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('../..', import.meta.url))

export interface ScriptRun {
  /** False when the script was still running after the timeout (it is then killed). */
  exited: boolean
  exitCode: number | null
  /** stdout and stderr together. */
  output: string
}

/**
 * Runs `script` (an ES module importing the sources as './src/….ts') in a
 * Node process of its own, as an app's script or test runner would, and
 * resolves once it exits by itself, or after `timeoutMs` with the process killed.
 */
export function runNodeScript(script: string, timeoutMs: number): Promise<ScriptRun> {
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      resolve({ exited: false, exitCode: null, output })
    }, timeoutMs)
    child.once('exit', (code) => {
      clearTimeout(timer)
      resolve({ exited: true, exitCode: code, output })
    })
  })
}
