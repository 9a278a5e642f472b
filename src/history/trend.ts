import type {RunRow} from './store.js'

/** How much worse than the median of earlier runs an RTO may be before it is flagged. */
export type Margin = {kind: 'percent'; value: number} | {kind: 'ms'; value: number}

export const DEFAULT_MARGIN: Margin = {kind: 'percent', value: 20}

export interface TrendRow extends RunRow {
  /** Median RTO of this drill's earlier runs that recovered; null for the first. */
  baseline_rto_ms: number | null
  regression: boolean
  regression_reason: string | null
}

/** Flag each run whose RTO is worse than the median of the same drill's previous runs by more than the margin (never recovering after runs that did, too). */
export function withTrend(runs: readonly RunRow[], margin: Margin = DEFAULT_MARGIN): TrendRow[] {
  const seen = new Map<string, number[]>()
  return runs.map((r) => {
    const earlier = seen.get(r.drill) ?? []
    const baseline = earlier.length > 0 ? median(earlier) : null
    let regression = false
    let reason: string | null = null
    if (baseline !== null) {
      if (r.rto_ms === null) {
        regression = true
        reason = `never recovered; earlier runs recovered in a median ${fmt(baseline)}`
      } else {
        const limit = margin.kind === 'percent' ? baseline * (1 + margin.value / 100) : baseline + margin.value
        if (r.rto_ms > limit) {
          regression = true
          reason = `RTO ${fmt(r.rto_ms)} is worse than the median ${fmt(baseline)} of ${earlier.length} earlier run(s) by more than ${margin.kind === 'percent' ? `${margin.value}%` : fmt(margin.value)}`
        }
      }
    }
    if (r.rto_ms !== null) seen.set(r.drill, [...earlier, r.rto_ms])
    return {...r, baseline_rto_ms: baseline, regression, regression_reason: reason}
  })
}

export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b)
  const mid = Math.floor(s.length / 2)
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2
}

/** `20%` or a duration in ms. */
export function parseMargin(text: string, parseDuration: (t: string) => number | undefined): Margin | undefined {
  const pct = text.match(/^(\d+(?:\.\d+)?)%$/)
  if (pct) return {kind: 'percent', value: Number(pct[1])}
  const ms = parseDuration(text)
  return ms === undefined ? undefined : {kind: 'ms', value: ms}
}

/** A small text sparkline of RTOs (▁ fast … █ slow; ✗ never recovered). */
export function sparkline(values: readonly (number | null)[]): string {
  const nums = values.filter((v): v is number => v !== null)
  if (nums.length === 0) return values.map(() => '✗').join('')
  const lo = Math.min(...nums)
  const hi = Math.max(...nums)
  const bars = '▁▂▃▄▅▆▇█'
  return values.map((v) => (v === null ? '✗' : bars[hi === lo ? 3 : Math.round(((v - lo) / (hi - lo)) * 7)])).join('')
}

function fmt(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`
}
