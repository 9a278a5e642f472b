import {formatMs} from '../config/duration.js'
import type {ObjectiveResult} from '../model/objectives.js'
import type {DrillResult} from '../model/result.js'

/** Which run of a repeated drill the verdict rests on. */
export const GRADE_ON = ['worst', 'p95', 'median'] as const
export type GradeOn = (typeof GRADE_ON)[number]

export interface Stats {
  runs: number
  min: number
  median: number
  p95: number
  max: number
}

/** Nearest-rank percentile of sorted values (p in 0..100). */
export function percentile<T>(sorted: readonly T[], p: number): T {
  if (sorted.length === 0) throw new Error('percentile of nothing')
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length))
  return sorted[Math.min(rank, sorted.length) - 1]!
}

/** min / median / p95 / max of the values that were measured; null when none was. */
export function stats(values: readonly (number | null)[]): Stats | null {
  const measured = values.filter((v): v is number => v !== null).sort((a, b) => a - b)
  if (measured.length === 0) return null
  return {runs: measured.length, min: measured[0]!, median: percentile(measured, 50), p95: percentile(measured, 95), max: measured.at(-1)!}
}

type Figures = {rto_ms: number | null; rpo_ms: number | null; lost_writes: number | null}
export interface RepeatedRun {
  results: readonly ObjectiveResult[]
  measurements: Figures
  /** Every probe's own figures, in a drill with several. */
  probes?: readonly {name: string; measurements: Figures}[]
}

export interface RepeatGrade {
  verdict: 'pass' | 'fail'
  grade_on: GradeOn
  runs: number
  results: ObjectiveResult[]
  statistics: {rto_ms: Stats | null; rpo_ms: Stats | null; lost_writes: Stats | null}
  /** The same statistics for each probe, when the drill has several (the top-level ones are the first probe's). */
  probe_statistics?: Record<string, {rto_ms: Stats | null; rpo_ms: Stats | null; lost_writes: Stats | null}>
}

const PERCENT: Record<GradeOn, number> = {worst: 100, p95: 95, median: 50}

/**
 * Pure: grade N runs of one drill. For each objective the runs are ordered from best to worst
 * (missed after met, then by what was measured; never measured is worst), and the run at the
 * chosen rank decides: the worst run by default, or the p95 or median run.
 */
export function gradeRepeat(runs: readonly RepeatedRun[], gradeOn: GradeOn): RepeatGrade {
  if (runs.length === 0) throw new Error('no runs to grade')
  const objectives = [...new Set(runs.flatMap((r) => r.results.map((o) => o.objective)))]
  const rto = stats(runs.map((r) => r.measurements.rto_ms))
  const rpo = stats(runs.map((r) => r.measurements.rpo_ms))
  const lost = stats(runs.map((r) => r.measurements.lost_writes))
  const names = [...new Set(runs.flatMap((r) => (r.probes && r.probes.length > 1 ? r.probes.map((p) => p.name) : [])))]
  const figures = (name: string, key: keyof Figures) => stats(runs.map((r) => r.probes?.find((p) => p.name === name)?.measurements[key] ?? null))
  const perProbe = names.length > 0 ? Object.fromEntries(names.map((n) => [n, {rto_ms: figures(n, 'rto_ms'), rpo_ms: figures(n, 'rpo_ms'), lost_writes: figures(n, 'lost_writes')}])) : undefined
  const results = objectives.map((objective): ObjectiveResult => {
    const per = runs.map((r) => r.results.find((o) => o.objective === objective))
    const missing = per.filter((o) => o === undefined).length
    const ranked = per.filter((o): o is ObjectiveResult => o !== undefined).sort(worseLast)
    const decisive = percentile(ranked, PERCENT[gradeOn])
    const failed = ranked.filter((o) => !o.met).length + missing
    const met = decisive.met && (gradeOn !== 'worst' || missing === 0)
    // A named probe's objective (`api: rto`) is spread over that probe's own figures.
    const named = /^([a-z][a-z0-9-]*): (rto|rpo)$/.exec(objective)
    const spread = named && perProbe?.[named[1]!] ? perProbe[named[1]!]![named[2] === 'rto' ? 'rto_ms' : 'rpo_ms'] : objective === 'rto' ? rto : objective === 'rpo' ? rpo : null
    const measured = spread
      ? `${gradeOn} ${formatMs(decisive.measured_ms ?? Number.NaN)}; ${formatMs(spread.min)} / ${formatMs(spread.median)} / ${formatMs(spread.p95)} / ${formatMs(spread.max)} (min/median/p95/max)`
      : `${gradeOn}: ${decisive.measured}`
    return {
      objective,
      target_ms: decisive.target_ms,
      measured_ms: decisive.measured_ms,
      target: decisive.target,
      measured: decisive.measured_ms === null && spread ? `${gradeOn}: ${decisive.measured}` : measured,
      met,
      reason: `${failed} of ${runs.length} runs missed it; graded on the ${gradeOn === 'worst' ? 'worst run' : `${gradeOn} run`}: ${decisive.reason}`,
    }
  })
  return {verdict: results.every((r) => r.met) ? 'pass' : 'fail', grade_on: gradeOn, runs: runs.length, results, statistics: {rto_ms: rto, rpo_ms: rpo, lost_writes: lost}, ...(perProbe ? {probe_statistics: perProbe} : {})}
}

function worseLast(a: ObjectiveResult, b: ObjectiveResult): number {
  if (a.met !== b.met) return a.met ? -1 : 1
  return (a.measured_ms ?? Number.POSITIVE_INFINITY) - (b.measured_ms ?? Number.POSITIVE_INFINITY)
}

/** One drill's runs: a single run, or N of them with their aggregate grade. */
export interface DrillOutcome {
  drill: string
  runs: DrillResult[]
  /** Set with --repeat N > 1. */
  repeated?: RepeatGrade
  verdict: 'pass' | 'fail'
}
