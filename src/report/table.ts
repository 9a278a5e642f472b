import Table from 'cli-table3'

import {formatMs} from '../config/duration.js'
import type {DrillResult} from '../drill/runner.js'
import type {DrillOutcome} from '../drill/session.js'
import type {Stats} from '../grade/repeat.js'
import type {ObservedInstance} from '../topology/observe.js'

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
    ...outcome.runs.map((r, i) => `  run ${i + 1}: ${r.verdict.toUpperCase()} ${r.run_id}, RTO ${r.measurements.rto_ms === null ? 'never recovered' : formatMs(r.measurements.rto_ms)}, ${r.measurements.lost_writes ?? '?'} lost`),
  ].join('\n')
}

function runSummary(r: DrillResult): string {
  const m = r.measurements
  const rto = m.rto_ms === null ? 'never recovered' : `${formatMs(m.rto_ms)} ± ${formatMs(m.resolution_ms)}`
  return [
    `${r.drill}: ${r.verdict.toUpperCase()}  RTO ${rto}, impact after ${formatMs(m.impact_ms)}, ` +
      `${m.acked_writes} acknowledged, ${m.lost_writes ?? '?'} lost, ${m.indeterminate_writes} indeterminate` +
      (m.indeterminate_present === null ? '' : ` (${m.indeterminate_present} of them applied)`),
    `  run ${r.run_id}, probe ${r.probe.kind} on ${r.probe.service} from the ${r.probe.vantage}, ${r.probe.samples} samples`,
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
      o.container ? o.container.health : '-',
      o.role ? o.role.replace('_', ' ') : o.instance.cluster ? '-' : '',
    ])
  }
  return table.toString()
}
