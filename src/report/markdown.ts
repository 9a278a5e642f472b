import {formatMs} from '../config/duration.js'
import {narrative} from './narrative.js'
import {probeFigures, signatureLine, verdictLabel, type RunReport} from './run-report.js'

/** Markdown for a ticket or a drill record. */
export function renderMarkdown(report: RunReport): string {
  const r = report.result
  const env = report.environment
  const m = r.measurements
  const out: string[] = []
  out.push(`# Drill ${r.drill}: ${verdictLabel(r)}`, '')
  out.push(`Run \`${r.run_id}\` on topology \`${r.topology}\`, ${r.started_at} to ${r.finished_at} (UTC)${env ? `, operator ${env.operator.name} on ${env.host.hostname}` : ''}.`, '')
  out.push('## What happened', '', ...narrative(r).map((l) => `- ${l}`), '')
  out.push('## Objectives', '', '| objective | target | measured | verdict | why |', '| --- | --- | --- | --- | --- |')
  for (const o of r.results) out.push(`| ${cell(o.objective)} | ${cell(o.target)} | ${cell(o.measured)} | ${o.met ? 'PASS' : '**FAIL**'} | ${cell(o.reason)} |`)
  out.push('')
  out.push('## Figures', '')
  out.push(`- RTO: ${m.rto_ms === null ? (r.status && r.status !== 'completed' ? `not measured (the run was ${r.status})` : 'never recovered') : `${formatMs(m.rto_ms)} ± ${formatMs(m.resolution_ms)}`}`)
  out.push(`- Impact: ${m.impact_ms === null ? 'not measured' : `writes failed from ${formatMs(m.impact_ms)} after the fault`}`)
  out.push(`- RPO: ${m.rpo_ms === null ? 'unknown' : formatMs(m.rpo_ms)}; lost writes: ${m.lost_writes ?? 'unknown'}${m.lost_seqs.length ? ` (seq ${m.lost_seqs.join(', ')})` : ''}`)
  out.push(`- Writes: ${m.acked_writes} acknowledged, ${m.failed_writes} failed, ${m.indeterminate_writes} indeterminate`)
  if (r.route?.via === 'relay') {
    out.push(`- Reached through the relay \`${r.route.relay}\` on ${r.route.host}: a connect through it ${r.route.connect_ms ?? '?'} ms, the relay adds ${r.route.added_ms ?? '?'} ms per sample (medians of ${r.route.trials}; in every ±)`)
  }
  // Several probes: the figures above are the first probe's; each probe's own follow.
  if (r.probes && r.probes.length > 1) for (const p of r.probes) out.push(`- Probe ${cell(probeFigures(p, r.status))}`)
  out.push('')
  out.push('## Timeline', '', '| t (s) | UTC | event | detail |', '| ---: | --- | --- | --- |')
  for (const e of r.timeline) out.push(`| ${(e.t_ms / 1000).toFixed(2)} | ${e.at.slice(11, 23)} | ${e.kind} | ${cell(e.detail)} |`)
  out.push('')
  if (env) {
    out.push('## Environment', '')
    out.push(`- firedrill ${env.firedrill.version} on Node ${env.firedrill.node}; Docker engine ${env.engine.version} (API ${env.engine.apiVersion}, ${env.engine.os})`)
    for (const i of env.inputs) out.push(`- ${i.role}: \`${i.path}\` sha256 \`${i.sha256}\``)
    if (env.git) out.push(`- git: ${env.git.commit}${env.git.dirty ? ' (drill file modified since this commit)' : ''} in ${env.git.root}`)
    for (const i of env.images) out.push(`- image \`${i.ref}\`: ${i.id ?? 'not found'}${i.repo_digests.length ? ` (${i.repo_digests.join(', ')})` : ''}`)
    for (const n of env.not_collected ?? []) out.push(`- not collected: ${n}`)
    out.push('')
  }
  out.push('## Evidence', '', `- ${signatureLine(report)}`)
  if (report.integrity) out.push(report.integrity.ok ? '- Integrity: every file matches the manifest; the event chain is unbroken.' : `- **INTEGRITY FAILED**: ${report.integrity.problems.join('; ')}`)
  out.push('')
  return out.join('\n')
}

function cell(s: string): string {
  return s.replaceAll('|', '\\|').replaceAll('\n', ' ')
}
