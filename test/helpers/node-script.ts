import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('../..', import.meta.url))

export interface ScriptRun {
  /** False when the script was still running after the timeout (it is then killed). */
  exited: boolean
  exitCode: number | null
  /** stdout and stderr together. */
  output: string
  /** What a test says when `exited` is false: how long the script ran, and its output. */
  stillRunning: string
}

/**
 * Runs a script, given as its `lines` (an ES module importing the sources as
 * './src/….ts'), in a Node process of its own, as an app's script or test
 * runner would, and resolves once it exits by itself, or after `timeoutMs`
 * with the process killed.
 */
export function runNodeScript(lines: readonly string[], timeoutMs: number): Promise<ScriptRun> {
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', lines.join('\n')], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
  const ran = (exited: boolean, exitCode: number | null): ScriptRun => ({
    exited,
    exitCode,
    output,
    stillRunning: `still running after ${timeoutMs / 1000} s; output:\n${output}`,
  })
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      resolve(ran(false, null))
    }, timeoutMs)
    child.once('exit', (code) => {
      clearTimeout(timer)
      resolve(ran(true, code))
    })
  })
}
