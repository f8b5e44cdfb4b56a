// @vitest-environment node
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { posix } from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect, it } from 'vitest'

// The README is the package's front page: in node_modules/cachet, on unpkg or
// jsDelivr, its links to the guides must reach files the package holds.

const root = fileURLToPath(new URL('../..', import.meta.url))

function packedFiles(): string[] {
  const output = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8', timeout: 60_000 })
  const [pack] = JSON.parse(output) as [{ files: { path: string }[] }]
  return pack.files.map((file) => file.path)
}

/** The relative Markdown links of a packed .md file to other .md files, resolved from the package root. */
function guideLinks(file: string): string[] {
  const text = readFileSync(`${root}${file}`, 'utf8')
  const links = [...text.matchAll(/\]\(([^)#\s]+\.md)(?:#[^)]*)?\)/g)].map((match) => match[1]!)
  return links.filter((link) => !/^[a-z]+:/i.test(link)).map((link) => posix.normalize(posix.join(posix.dirname(file), link)))
}

it("packs the guides the README links to (docs/API.md, docs/server.md), and the guides' own links", () => {
  const files = packedFiles()
  const readmeLinks = guideLinks('README.md').filter((link) => link.startsWith('docs/'))
  expect(readmeLinks).toEqual(expect.arrayContaining(['docs/API.md', 'docs/server.md']))
  for (const link of readmeLinks) expect(files, `README.md links to ${link}`).toContain(link)
  for (const guide of readmeLinks) {
    for (const link of guideLinks(guide)) expect(files, `${guide} links to ${link}`).toContain(link)
  }
})
