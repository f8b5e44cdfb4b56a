import { headline, type Results } from './results'
import type { Summary } from './stats'

function format(value: number): string {
  if (!Number.isFinite(value)) return '—'
  const abs = Math.abs(value)
  if (abs >= 1000) return value.toFixed(0)
  if (abs >= 100) return value.toFixed(0)
  if (abs >= 10) return value.toFixed(1)
  return value.toFixed(2)
}

function cell(summary: Summary | undefined): string {
  if (!summary) return '—'
  if (summary.min === summary.max) return format(summary.median)
  return `${format(summary.median)} (${format(summary.min)}–${format(summary.max)})`
}

/**
 * A markdown table: one row per scenario metric, one column per library,
 * "median (min–max)", and the headline's ratio to the reference.
 */
export function renderTable(results: Results, libraries: readonly string[]): string {
  const lines = [
    `| scenario | metric | ${libraries.join(' | ')} | ideal |`,
    `|---|---|${libraries.map(() => '---:').join('|')}|---:|`,
  ]
  for (const scenario of results.scenarios) {
    for (const metric of scenario.metrics) {
      const cells = libraries.map((library) => {
        const row = scenario.rows[library]
        if (!row) return '—'
        if ('error' in row) return metric === scenario.metrics[0] ? `error: ${row.error.slice(0, 60)}` : ''
        return cell(row.metrics[metric.id])
      })
      lines.push(`| ${scenario.id} | ${metric.label} | ${cells.join(' | ')} | ${metric.ideal ?? ''} |`)
    }
    const reference = scenario.reference
    if (reference) {
      const ratios = libraries.map((library) => {
        const value = headline(scenario, library)
        return value === undefined ? '—' : `${(value / reference.value).toFixed(2)}×`
      })
      lines.push(`| ${scenario.id} | ratio to ${reference.name} | ${ratios.join(' | ')} | |`)
    }
  }
  return lines.join('\n')
}
