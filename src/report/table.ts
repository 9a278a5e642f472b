import Table from 'cli-table3'

import {formatMs} from '../config/duration.js'
import {probeFigures, sampleCounts, verdictLabel} from './run-report.js'
import type {DrillOutcome, Stats} from '../grade/repeat.js'
import type {PlanRow} from '../history/calendar.js'
import {sparkline, type TrendRow} from '../history/trend.js'
import {describeLag} from '../measure/replication-lag.js'
import type {ObservedInstance} from '../topology/observe.js'
import type {DrillResult} from '../model/result.js'

const plain = {head: [], border: []}
/** Rows without separators between them: easier to read, and to grep in a CI log. */
const chars = {mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': ''}

/** The verdict table an operator reads at the end of a drill. */
export function verdictTable(outcomes: readonly DrillOutcome[]): string {
  const table = new Table({
    head: ['drill', 'objective', 'target', 'measured', 'verdict', 'detail'],
    style: plain,
    chars,
    wordWrap: true,
    colWidths: [18, 22, 12, 24, 9, 46],
  })
  for (const outcome of outcomes) {
    const results = outcome.repeated?.results ?? outcome.runs[0]!.results
    const drill = outcome.repeated ? `${outcome.drill} ×${outcome.repeated.runs}` : outcome.drill
    for (const o of results) table.push([drill, objectiveLabel(o.objective), o.target, o.measured, o.met ? 'PASS' : 'FAIL', o.reason])
  }
  return table.toString()
}

const LABELS: Record<string, string> = {rto: 'RTO', rpo: 'RPO', split_brain: 'split brain'}
function objectiveLabel(objective: string): string {
  // A named probe's objective: `api: rto` → `api: RTO`.
  const named = /^([a-z][a-z0-9-]*): (rto|rpo|split_brain)$/.exec(objective)
  if (named) return `${named[1]}: ${LABELS[named[2]!]}`
  return LABELS[objective] ?? objective
}

/** A few summary lines per drill below the table. */
export function drillSummary(outcome: DrillOutcome): string {
  if (!outcome.repeated) return runSummary(outcome.runs[0]!)
  const {repeated} = outcome
  const spread = (s: Stats | null, f: (n: number) => string) => (s ? `${f(s.min)} / ${f(s.median)} / ${f(s.p95)} / ${f(s.max)}` : 'not measured')
  return [
    `${outcome.drill}: ${outcome.verdict.toUpperCase()} over ${repeated.runs} runs, graded on the ${repeated.grade_on === 'worst' ? 'worst run' : `${repeated.grade_on} run`}`,
    `  RTO min / median / p95 / max: ${spread(repeated.statistics.rto_ms, formatMs)}`,
    `  RPO min / median / p95 / max: ${spread(repeated.statistics.rpo_ms, formatMs)}; lost writes: ${spread(repeated.statistics.lost_writes, String)}`,
    ...Object.entries(repeated.probe_statistics ?? {}).map(
      ([name, st]) => `  probe ${name}: RTO ${spread(st.rto_ms, formatMs)}; RPO ${spread(st.rpo_ms, formatMs)}; lost writes ${spread(st.lost_writes, String)} (min / median / p95 / max)`,
    ),
    ...outcome.runs.map((r, i) => `  run ${i + 1}: ${r.verdict.toUpperCase()} ${r.run_id}, RTO ${r.measurements.rto_ms === null ? 'never recovered' : formatMs(r.measurements.rto_ms)}, ${r.measurements.lost_writes ?? '?'} lost`),
  ].join('\n')
}

/** One line per run as it is graded, for the progress log: the first line of its summary. */
export function gradedLine(r: DrillResult): string {
  return runSummary(r).split('\n')[0]!
}

function runSummary(r: DrillResult): string {
  const m = r.measurements
  const rto = m.rto_ms === null ? (r.status === 'completed' ? 'never recovered' : 'not measured') : `${formatMs(m.rto_ms)} ± ${formatMs(m.resolution_ms)}`
  return [
    `${r.drill}: ${verdictLabel(r)}  RTO ${rto}, impact ${m.impact_ms === null ? 'not measured' : `after ${formatMs(m.impact_ms)}`}, ` +
      sampleCounts(m) +
      (m.indeterminate_present === null ? '' : ` (${m.indeterminate_present} of them applied)`),
    `  run ${r.run_id}, probe ${r.probe.kind} on ${r.probe.service} from the ${r.probe.vantage}, ${r.probe.samples} samples`,
    // Several probes: each one's own figures (the line above is the first probe's).
    ...(r.probes && r.probes.length > 1 ? r.probes.map((p) => `  probe ${probeFigures(p, r.status)}`) : []),
    ...(r.measurements.replication_lag ? describeLag(r.measurements.replication_lag).map((line) => `  ${line}`) : []),
    ...(r.faults ?? []).filter((f) => f.mechanism).map((f) => `  ${f.name}: network fault made with ${f.mechanism === 'netem' ? 'tc netem' : 'the NFQUEUE fallback (no netem in this kernel)'}`),
  ].join('\n')
}

export function statusTable(instances: readonly ObservedInstance[]): string {
  const table = new Table({head: ['site', 'service', 'container', 'state', 'health', 'role'], style: plain, chars})
  for (const o of instances) {
    table.push([
      o.instance.site,
      o.instance.service,
      o.instance.containerName,
      o.container?.state ?? 'absent',
      o.container ? (o.healthNow?.ok ? 'healthy' : o.container.health) : '-',
      o.role === 'other' ? `unknown${o.memberState ? ` (${o.memberState.replace(/^unknown: /, '')})` : ''}` : o.role ? o.role.replace('_', ' ') : o.instance.cluster ? '-' : '',
    ])
  }
  return table.toString()
}

/** Where a run's evidence went, in one or two lines. */
export function evidenceSummary(rec: {dir: string; files: number; bytes: number; signed: boolean; keyid: string | null; write_ms: number; reports: Record<string, string | undefined>}): string {
  const size = rec.bytes >= 1024 * 1024 ? `${(rec.bytes / 1024 / 1024).toFixed(1)} MiB` : `${(rec.bytes / 1024).toFixed(0)} KiB`
  const lines = [`  evidence ${rec.dir} (${rec.files} files, ${size}, written in ${formatMs(rec.write_ms)}; ${rec.signed ? `signed by key ${rec.keyid?.slice(0, 16)}…` : 'UNSIGNED'})`]
  for (const [kind, file] of Object.entries(rec.reports)) if (file) lines.push(`  ${kind} report ${file}`)
  return lines.join('\n')
}

/** Runs oldest first with the RTO against the median of earlier runs, then a trend line per drill and the regressions. */
export function historyTable(rows: readonly TrendRow[]): string {
  const table = new Table({head: ['started (UTC)', 'drill', 'run', 'verdict', 'RTO', 'median before (runs)', 'lost', 'trend'], style: plain, chars})
  for (const r of rows) {
    table.push([
      r.started_at.slice(0, 16).replace('T', ' '),
      r.drill,
      r.run_id,
      (r.status ?? 'completed') === 'completed' ? r.verdict.toUpperCase() : r.status.toUpperCase(),
      (r.status ?? 'completed') !== 'completed' ? `${r.status}, not measured` : r.rto_ms === null ? 'never recovered' : formatMs(r.rto_ms),
      r.baseline_rto_ms === null ? '–' : `${formatMs(r.baseline_rto_ms)} (${r.baseline_runs})`,
      r.lost_writes === null ? '?' : String(r.lost_writes),
      r.regression ? 'REGRESSION' : r.trend_note?.startsWith('not judged: ') && r.status === 'completed' ? `too few runs (${r.baseline_runs})` : r.trend_note?.startsWith('within the noise') ? 'within noise' : '',
    ])
  }
  const lines = [table.toString()]
  for (const drill of [...new Set(rows.map((r) => r.drill))]) {
    const mine = rows.filter((r) => r.drill === drill)
    const held = mine.filter((r) => (r.status ?? 'completed') === 'completed')
    const incomplete = mine.length - held.length
    lines.push(`${drill}: RTO trend ${sparkline(held.map((r) => r.rto_ms))} (${held.length} runs, ${held.filter((r) => r.verdict === 'pass').length} passed${incomplete ? `; ${incomplete} interrupted or aborted, not measured` : ''})`)
  }
  for (const r of rows) {
    if (r.regression) lines.push(`regression: ${r.drill} ${r.run_id}: ${r.regression_reason}`)
    else if (r.trend_note && (r.status ?? 'completed') === 'completed') lines.push(`no regression flagged: ${r.drill} ${r.run_id}: ${r.trend_note}`)
  }
  return lines.join('\n')
}

/** The drill calendar. */
export function planTable(rows: readonly PlanRow[], overdue: readonly string[]): string {
  const table = new Table({head: ['drill', 'frequency', 'last completed run (UTC)', 'verdict', 'next due', 'status'], style: plain, chars})
  for (const r of rows) {
    table.push([
      r.drill,
      r.frequency ?? '–',
      r.last_run ? r.last_run.slice(0, 16).replace('T', ' ') : 'never',
      r.last_verdict?.toUpperCase() ?? '',
      r.next_due ?? '–',
      r.status === 'overdue' ? `OVERDUE (${r.days_overdue} days)` : r.status === 'never run' ? 'OVERDUE (never run)' : r.status === 'due' ? `due in ${-(r.days_overdue ?? 0)} days` : r.status,
    ])
  }
  const incomplete = rows.flatMap((r) =>
    r.later_incomplete.map((x) => `${r.drill}: run ${x.run_id} (${x.started_at.slice(0, 16).replace('T', ' ')}) was ${x.status}, not measured: it does not count as the drill held${r.last_run ? '' : ' (no completed run yet)'}`),
  )
  return [table.toString(), ...incomplete, overdue.length === 0 ? 'Nothing overdue.' : `${overdue.length} overdue: ${overdue.join(', ')}`].join('\n')
}
