import {formatMs} from '../config/duration.js'
import {completed, type PeriodReport} from '../history/period.js'
import type {RunRow} from '../history/store.js'
import {esc} from './html.js'

/** The auditor's summary of a period (history/period.ts computes it), as Markdown or one HTML file. */
function evidenceMarkdown(p: PeriodReport): string[] {
  if (!p.evidence) return []
  const out = ['## Evidence', '', 'Each run\'s bundle, pinned by the SHA-256 of its manifest (which holds the SHA-256 of every file). Check them with `firedrill evidence verify REPORT_DIR --bundles DIR...`.', '']
  out.push('| run | drill | bundle | manifest SHA-256 | signing key |', '| --- | --- | --- | --- | --- |')
  for (const e of p.evidence) {
    const signer = e.signer_keyid ? `\`${e.signer_keyid}\`${e.signer_name ? ` (${e.signer_name})` : ''}` : e.problem ? '' : 'UNSIGNED'
    out.push(`| \`${e.run_id}\` | ${e.drill} | ${e.bundle ? `\`${e.bundle}\`` : '–'} | ${e.manifest_sha256 ? `\`${e.manifest_sha256}\`` : ''}${e.problem ? ` **${e.problem}**` : ''} | ${signer} |`)
  }
  return [...out, '']
}

function evidenceHtml(p: PeriodReport): string {
  if (!p.evidence) return ''
  const rows = p.evidence.map((e) => {
    const signer = e.signer_keyid ? `<code>${esc(e.signer_keyid)}</code>${e.signer_name ? ` (${esc(e.signer_name)})` : ''}` : e.problem ? '' : '<b>UNSIGNED</b>'
    return `<tr><td><code>${esc(e.run_id)}</code></td><td>${esc(e.drill)}</td><td>${e.bundle ? `<code>${esc(e.bundle)}</code>` : '–'}</td><td>${e.manifest_sha256 ? `<code>${esc(e.manifest_sha256)}</code>` : ''}${e.problem ? ` <b class="st failed">${esc(e.problem)}</b>` : ''}</td><td>${signer}</td></tr>`
  })
  return `<h2>Evidence</h2>
<p class="note">Each run's bundle, pinned by the SHA-256 of its manifest (which holds the SHA-256 of every file). Check them with <code>firedrill evidence verify REPORT_DIR --bundles DIR...</code>.</p>
<table id="evidence"><thead><tr><th>run</th><th>drill</th><th>bundle</th><th>manifest SHA-256</th><th>signing key</th></tr></thead><tbody>
${rows.join('\n')}
</tbody></table>
`
}

const rto = (r: RunRow) => (!completed(r) ? `${r.status}, not measured` : r.rto_ms === null ? 'never recovered' : formatMs(r.rto_ms))
const verdictText = (r: RunRow) => (!completed(r) ? r.status.toUpperCase() : r.verdict.toUpperCase())
const totalsLine = (p: PeriodReport) =>
  `${p.totals.runs} run(s): ${p.totals.passed} passed, ${p.totals.failed} failed${p.totals.not_completed ? `, ${p.totals.not_completed} interrupted or aborted (not measured; not counted as held)` : ''}. ${p.totals.due_and_run} of ${p.totals.due} drill(s) due in the period were run to completion.`

export function renderPeriodMarkdown(p: PeriodReport): string {
  const out: string[] = [`# Disaster-recovery drills, ${p.period.label} (${p.period.start} to ${p.period.end})`, '']
  out.push(totalsLine(p), '')
  if (p.not_run.length > 0) out.push(`**Due and not run:** ${p.not_run.join(', ')}`, '')
  out.push('## Drills', '', '| drill | frequency | due | completed runs (expected) | passed | failed | not completed | status |', '| --- | --- | --- | --- | --- | --- | --- | --- |')
  for (const d of p.drills) out.push(`| ${d.drill} | ${d.frequency ?? '–'} | ${d.due ? 'yes' : 'no'} | ${d.runs} (${d.expected_runs}) | ${d.passed} | ${d.failed} | ${d.not_completed} | ${d.status === 'not run' || d.status === 'failed' ? `**${d.status}**` : d.status} |`)
  out.push('', '## Runs', '', '| started (UTC) | drill | run | verdict | RTO | objectives: measured against target | operator |', '| --- | --- | --- | --- | --- | --- | --- |')
  for (const r of p.runs) {
    const objectives = r.results.map((o) => `${o.objective} ${o.measured} / ${o.target} ${o.met ? '✓' : '✗'}`).join('; ')
    out.push(`| ${r.started_at.slice(0, 16).replace('T', ' ')} | ${r.drill} | \`${r.run_id}\` | ${r.verdict === 'pass' ? 'PASS' : `**${verdictText(r)}**`} | ${rto(r)} | ${objectives.replaceAll('|', '\\|')} | ${r.operator ?? ''} |`)
  }
  const failures = p.runs.filter((r) => r.verdict === 'fail')
  out.push('', '## Failures and follow-up', '')
  if (failures.length === 0) out.push('No run failed in this period.', '')
  for (const r of failures) {
    out.push(`### ${r.drill}, run \`${r.run_id}\` (${r.started_at.slice(0, 10)})`, '')
    for (const o of r.results.filter((x) => !x.met)) out.push(`- ${o.objective}: measured ${o.measured}, objective ${o.target}: ${o.reason}`)
    if (r.bundle) out.push(`- Evidence: \`${r.bundle}\``)
    if (r.notes.length === 0) out.push('- **No follow-up recorded.** Add one with `firedrill note RUN_ID "..."`.')
    for (const n of r.notes) out.push(`- Follow-up (${n.at.slice(0, 10)}, ${n.author}): ${n.text}`)
    out.push('')
  }
  const noted = p.runs.filter((r) => r.verdict === 'pass' && r.notes.length > 0)
  if (noted.length > 0) {
    out.push('## Notes on passing runs', '')
    for (const r of noted) for (const n of r.notes) out.push(`- ${r.drill} \`${r.run_id}\` (${n.at.slice(0, 10)}, ${n.author}): ${n.text}`)
    out.push('')
  }
  out.push(...evidenceMarkdown(p))
  out.push(`Generated ${p.generated_at} by firedrill from the local run history. Each run's evidence bundle can be checked with \`firedrill evidence verify\`.`, '')
  return out.join('\n')
}

export function renderPeriodHtml(p: PeriodReport): string {
  const status = (s: string) => `<span class="st ${s.replace(' ', '-')}">${esc(s)}</span>`
  const failures = p.runs.filter((r) => r.verdict === 'fail')
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Disaster-recovery drills ${esc(p.period.label)}</title>
<style>
body { font: 14px/1.45 system-ui, sans-serif; color: #1d2733; max-width: 1080px; margin: 24px auto; padding: 0 20px; }
h1 { font-size: 22px; } h2 { font-size: 16px; border-bottom: 1px solid #e4e8ee; margin-top: 22px; }
table { border-collapse: collapse; width: 100%; } th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid #e8ecf1; vertical-align: top; } th { background: #f4f6f9; }
.st { font-weight: 700; } .st.done { color: #1a7f37; } .st.failed, .st.not-run { color: #c62828; } .st.not-due, .st.unscheduled { color: #5b6878; }
.alert { background: #fdecea; border: 2px solid #c62828; padding: 8px 12px; border-radius: 6px; }
.note { color: #5b6878; font-size: 12.5px; } code { font: 12.5px ui-monospace, monospace; }
@media print { body { margin: 0; max-width: none; } tr { break-inside: avoid; } .alert, th { print-color-adjust: exact; -webkit-print-color-adjust: exact; } }
</style></head><body>
<h1>Disaster-recovery drills, ${esc(p.period.label)} <small>(${esc(p.period.start)} to ${esc(p.period.end)})</small></h1>
<p id="totals">${esc(totalsLine(p))}</p>
${p.not_run.length ? `<p class="alert" id="not-run"><b>Due and not run:</b> ${p.not_run.map(esc).join(', ')}</p>` : ''}
<h2>Drills</h2>
<table id="drills"><thead><tr><th>drill</th><th>frequency</th><th>due</th><th>completed runs (expected)</th><th>passed</th><th>failed</th><th>not completed</th><th>status</th></tr></thead><tbody>
${p.drills.map((d) => `<tr><td>${esc(d.drill)}</td><td>${esc(d.frequency ?? '–')}</td><td>${d.due ? 'yes' : 'no'}</td><td>${d.runs} (${d.expected_runs})</td><td>${d.passed}</td><td>${d.failed}</td><td>${d.not_completed}</td><td>${status(d.status)}</td></tr>`).join('\n')}
</tbody></table>
<h2>Runs</h2>
<table id="runs"><thead><tr><th>started (UTC)</th><th>drill</th><th>run</th><th>verdict</th><th>RTO</th><th>objectives: measured / target</th><th>operator</th></tr></thead><tbody>
${p.runs.map((r) => `<tr><td>${esc(r.started_at.slice(0, 16).replace('T', ' '))}</td><td>${esc(r.drill)}</td><td><code>${esc(r.run_id)}</code></td><td>${status(r.verdict === 'pass' ? 'done' : 'failed').replace(/>(done|failed)</, `>${verdictText(r)}<`)}</td><td>${esc(rto(r))}</td><td>${r.results.map((o) => `${esc(o.objective)} ${esc(o.measured)} / ${esc(o.target)} ${o.met ? '✓' : '✗'}`).join('<br>')}</td><td>${esc(r.operator ?? '')}</td></tr>`).join('\n')}
</tbody></table>
<h2>Failures and follow-up</h2>
<div id="failures">
${failures.length === 0 ? '<p>No run failed in this period.</p>' : ''}
${failures
  .map(
    (r) => `<h3>${esc(r.drill)}, run <code>${esc(r.run_id)}</code> (${esc(r.started_at.slice(0, 10))})</h3><ul>
${r.results
  .filter((o) => !o.met)
  .map((o) => `<li>${esc(o.objective)}: measured ${esc(o.measured)}, objective ${esc(o.target)}: ${esc(o.reason)}</li>`)
  .join('')}
${r.bundle ? `<li>Evidence: <code>${esc(r.bundle)}</code></li>` : ''}
${r.notes.length === 0 ? '<li class="st failed">No follow-up recorded.</li>' : r.notes.map((n) => `<li class="followup">Follow-up (${esc(n.at.slice(0, 10))}, ${esc(n.author)}): ${esc(n.text)}</li>`).join('')}
</ul>`,
  )
  .join('\n')}
</div>
${evidenceHtml(p)}<p class="note">Generated ${esc(p.generated_at)} by firedrill from the local run history. Each run's evidence bundle can be checked with <code>firedrill evidence verify</code>.</p>
</body></html>
`
}
