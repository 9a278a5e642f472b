import Table from 'cli-table3'

import {formatMs} from '../config/duration.js'
import type {DrillResult} from '../drill/runner.js'
import type {ObservedInstance} from '../topology/observe.js'

const plain = {head: [], border: []}
/** Rows without separators between them: easier to read, and to grep in a CI log. */
const chars = {mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': ''}

/** The verdict table an operator reads at the end of a drill. */
export function verdictTable(results: readonly DrillResult[]): string {
  const table = new Table({
    head: ['drill', 'objective', 'target', 'measured', 'verdict', 'detail'],
    style: plain,
    chars,
    wordWrap: true,
    colWidths: [18, 22, 12, 24, 9, 46],
  })
  for (const r of results) {
    for (const o of r.results) table.push([r.drill, objectiveLabel(o.objective), o.target, o.measured, o.met ? 'PASS' : 'FAIL', o.reason])
  }
  return table.toString()
}

const LABELS: Record<string, string> = {rto: 'RTO', rpo: 'RPO', split_brain: 'split brain'}
function objectiveLabel(objective: string): string {
  return LABELS[objective] ?? objective
}

/** One summary line per drill below the table. */
export function drillSummary(r: DrillResult): string {
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
