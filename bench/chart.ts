import { headline, type Results } from './results'

const COLORS: Record<string, string> = {
  cachet: '#2563eb',
  tanstack: '#ef4444',
  swr: '#111827',
  floor: '#9ca3af',
}

const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')

/**
 * Horizontal bars, one group per scenario, one bar per library: the
 * headline median divided by the scenario's reference (the floor, the ideal
 * count, or the budget). Log scale, because ratios run from below 1 to 20+.
 * Hand-written SVG so the bench needs no chart library.
 */
export function renderChart(results: Results, libraries: readonly string[]): string {
  const groups = results.scenarios
    .filter((s) => s.reference)
    .map((s) => ({
      title: `${s.id} (vs ${s.reference!.name})`,
      bars: libraries
        .map((library) => {
          const value = headline(s, library)
          return { library, ratio: value === undefined ? undefined : value / s.reference!.value }
        })
        .filter((bar) => bar.ratio !== undefined && bar.library !== s.reference!.name) as {
        library: string
        ratio: number
      }[],
    }))
    .filter((g) => g.bars.length > 0)

  const ratios = groups.flatMap((g) => g.bars.map((b) => b.ratio)).filter((r) => r > 0)
  const lo = Math.min(0.5, ...ratios.map((r) => 2 ** Math.floor(Math.log2(r))))
  const hi = Math.max(2, ...ratios.map((r) => 2 ** Math.ceil(Math.log2(r))))
  const left = 300
  const plot = 480
  const barH = 14
  const gap = 4
  const groupGap = 22
  const top = 50
  const x = (ratio: number) => left + ((Math.log2(Math.max(ratio, lo)) - Math.log2(lo)) / (Math.log2(hi) - Math.log2(lo))) * plot

  let y = top
  const parts: string[] = []
  for (const group of groups) {
    parts.push(`<text x="10" y="${y + 11}" font-weight="bold">${escape(group.title)}</text>`)
    y += 16
    for (const bar of group.bars) {
      // Bars grow from the 1× line: right when worse than the reference, left when better.
      const one = x(1)
      const end = x(bar.ratio)
      const from = Math.min(one, end)
      const width = Math.max(1, Math.abs(end - one))
      const label = end >= one ? `x="${(end + 4).toFixed(1)}"` : `x="${(end - 4).toFixed(1)}" text-anchor="end"`
      parts.push(
        `<text x="${left - 8}" y="${y + 11}" text-anchor="end">${escape(bar.library)}</text>`,
        `<rect x="${from.toFixed(1)}" y="${y}" width="${width.toFixed(1)}" height="${barH}" fill="${COLORS[bar.library] ?? '#6b7280'}"/>`,
        `<text ${label} y="${y + 11}">${bar.ratio.toFixed(2)}×</text>`,
      )
      y += barH + gap
    }
    y += groupGap - gap
  }
  const height = y + 20
  const ticks: string[] = []
  for (let t = lo; t <= hi; t *= 2) {
    const tx = x(t).toFixed(1)
    ticks.push(
      `<line x1="${tx}" y1="${top - 8}" x2="${tx}" y2="${y}" stroke="${t === 1 ? '#111827' : '#e5e7eb'}"/>`,
      `<text x="${tx}" y="${top - 12}" text-anchor="middle">${t < 1 ? t.toString() : t.toFixed(0)}×</text>`,
    )
  }
  const width = left + plot + 80
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="10" y="18" font-size="14" font-weight="bold">Headline metric ÷ reference (lower is better; log scale)</text>`,
    ...ticks,
    ...parts,
    `</svg>`,
  ].join('\n')
}
