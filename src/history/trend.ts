import type {RunRow} from './store.js'

/**
 * A run of a drill with several probes as one row per probe (`drill: probe`), each with that probe's
 * figures and verdict, so the history lists and trends each probe's RTO on its own; other runs as they are.
 */
export function perProbe(runs: readonly RunRow[]): RunRow[] {
  return runs.flatMap((r) =>
    r.probes && r.probes.length > 1
      ? r.probes.map((p) => ({
          ...r,
          drill: `${r.drill}: ${p.name}`,
          verdict: p.verdict,
          rto_ms: p.rto_ms,
          rpo_ms: p.rpo_ms,
          lost_writes: p.lost_writes,
          resolution_ms: p.resolution_ms,
          results: r.results.filter((o) => o.probe === p.name),
        }))
      : [r],
  )
}

/** How much worse than the median of earlier runs an RTO may be before it is flagged. */
export type Margin = {kind: 'percent'; value: number} | {kind: 'ms'; value: number}

export const DEFAULT_MARGIN: Margin = {kind: 'percent', value: 20}

export interface TrendRow extends RunRow {
  /** Median RTO of this drill's earlier completed runs that recovered; null for the first. */
  baseline_rto_ms: number | null
  /** How many earlier completed runs that recovered the baseline is the median of. */
  baseline_runs: number
  regression: boolean
  /** Why it is a regression; null when it is not. */
  regression_reason: string | null
  /** Why it was not judged or not flagged (too few runs, within the noise, not measured); null when flagged or unremarkable. */
  trend_note: string | null
}

/** A regression is judged against at least this many earlier runs: fewer, and the median is noise. */
export const DEFAULT_MIN_RUNS = 5

/**
 * Flag each run whose RTO is worse than the median of the same drill's earlier completed runs that
 * recovered, when there are at least `minRuns` of them and the difference is beyond all of: the margin,
 * the measurement's resolution (this run's plus the earlier runs' largest: each RTO is ± its probe
 * interval) and the earlier runs' spread (their largest distance from their median). Never recovering
 * after runs that did is a regression whatever the count: it is no matter of noise. Interrupted or aborted
 * runs measured nothing: never flagged, never part of a baseline. Every judgement says why.
 */
export function withTrend(runs: readonly RunRow[], margin: Margin = DEFAULT_MARGIN, minRuns = DEFAULT_MIN_RUNS): TrendRow[] {
  const seen = new Map<string, {rto: number; resolution: number}[]>()
  return runs.map((r) => {
    const earlier = seen.get(r.drill) ?? []
    const rtos = earlier.map((e) => e.rto)
    const baseline = earlier.length > 0 ? median(rtos) : null
    const row = {...r, baseline_rto_ms: baseline, baseline_runs: earlier.length, regression: false, regression_reason: null as string | null, trend_note: null as string | null}
    if ((r.status ?? 'completed') !== 'completed') {
      row.trend_note = `not judged: the run was ${r.status}, nothing was measured`
      return row
    }
    if (baseline !== null && r.rto_ms === null) {
      row.regression = true
      row.regression_reason = `never recovered; ${earlier.length} earlier run(s) recovered in a median ${fmt(baseline)}`
    } else if (r.rto_ms !== null && baseline !== null && earlier.length < minRuns) {
      // Said only when it was worse than the median: that is when someone would ask why it was not flagged.
      if (r.rto_ms > baseline) row.trend_note = `not judged: ${earlier.length} earlier run(s) recovered, a regression needs ${minRuns} (RTO ${fmt(r.rto_ms)} against a median ${fmt(baseline)})`
    } else if (r.rto_ms !== null && baseline !== null) {
      const diff = r.rto_ms - baseline
      const marginMs = margin.kind === 'percent' ? (baseline * margin.value) / 100 : margin.value
      const resolution = (r.resolution_ms ?? 0) + Math.max(0, ...earlier.map((e) => e.resolution))
      const spread = Math.max(...rtos.map((x) => Math.abs(x - baseline)))
      const bounds = `margin ${margin.kind === 'percent' ? `${margin.value}% = ${fmt(marginMs)}` : fmt(marginMs)}, resolution ± ${fmt(resolution)}, spread of the earlier runs ± ${fmt(spread)}`
      const beyond = diff > marginMs && diff > resolution && diff > spread
      if (beyond) {
        row.regression = true
        row.regression_reason = `RTO ${fmt(r.rto_ms)} is ${fmt(diff)} worse than the median ${fmt(baseline)} of ${earlier.length} earlier run(s), beyond each of: ${bounds}`
      } else if (diff > 0) {
        row.trend_note = `within the noise: RTO ${fmt(r.rto_ms)} is ${fmt(diff)} over the median ${fmt(baseline)} of ${earlier.length} earlier run(s), not beyond all of: ${bounds}`
      }
    }
    if (r.rto_ms !== null) seen.set(r.drill, [...earlier, {rto: r.rto_ms, resolution: r.resolution_ms ?? 0}])
    return row
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
