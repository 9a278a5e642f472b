import Table from 'cli-table3'

import {formatMs} from '../config/duration.js'
import type {DrillResult} from '../drill/runner.js'
import {describeLag} from '../measure/replication-lag.js'
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
    colWidths: [18, 11, 10, 26, 9, 50],
  })
  for (const r of results) {
    for (const o of r.results) table.push([r.drill, o.objective.toUpperCase().replace('ASSERT:', 'assert:'), o.target, o.measured, o.met ? 'PASS' : 'FAIL', o.reason])
  }
  return table.toString()
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
      o.container ? o.container.health : '-',
      o.role ? o.role.replace('_', ' ') : o.instance.cluster ? '-' : '',
    ])
  }
  return table.toString()
}
