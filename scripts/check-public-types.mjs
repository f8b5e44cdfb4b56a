// Fails when a published declaration file uses `any`: the public types must
// say what they hold. Comments are stripped first (prose may say "any").
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

const dist = new URL('../dist/', import.meta.url).pathname
const files = []
const walk = (dir) => {
  for (const name of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, name.name)
    if (name.isDirectory()) walk(path)
    else if (/\.d\.c?ts$/.test(name.name)) files.push(path)
  }
}
walk(dist)
if (files.length === 0) {
  console.error('check-public-types: no .d.ts files in dist/ (run npm run build first)')
  process.exit(1)
}
let bad = 0
for (const file of files) {
  const code = readFileSync(file, 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, (c) => c.replace(/[^\n]/g, ' '))
    .replace(/\/\/.*$/gm, '')
  code.split('\n').forEach((line, i) => {
    if (/\bany\b/.test(line)) {
      bad++
      console.error(`${file}:${i + 1}: public type uses any: ${line.trim()}`)
    }
  })
}
if (bad > 0) process.exit(1)
console.log(`check-public-types: ${files.length} declaration files, no any`)
