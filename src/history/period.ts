import {formatMs} from '../config/duration.js'
import {esc} from '../report/html.js'
import {addInterval, type Frequency, type Period, type ScheduledDrill} from './calendar.js'
import type {HistoryStore, Note, RunRow} from './store.js'

export interface PeriodDrill {
  drill: string
  file: string | null
  frequency: Frequency | null
  /** The schedule asked for at least one run in the period. */
  due: boolean
  /** How many runs the frequency asks for within the period (nightly: one a day). */
  expected_runs: number
  /** Completed runs (pass or fail): the drill held. */
  runs: number
  passed: number
  failed: number
  /** Runs that did not complete (interrupted, aborted): not measured, not counted as held. */
  not_completed: number
  status: 'done' | 'failed' | 'not run' | 'not due' | 'unscheduled'
}

export interface PeriodReport {
  period: {label: string; start: string; end: string}
  generated_at: string
  drills: PeriodDrill[]
  runs: (RunRow & {notes: Note[]})[]
  /** Drills due in the period and not run in it. */
  not_run: string[]
  /** The evidence each run rests on (report --period fills it in from the bundles): manifest digest and signer. */
  evidence?: PeriodEvidenceRow[]
  /** runs: every run; passed and failed: completed ones; not_completed: interrupted or aborted. */
  totals: {runs: number; passed: number; failed: number; not_completed: number; due: number; due_and_run: number}
}

/** One run's bundle as a period report lists it. */
export interface PeriodEvidenceRow {
  run_id: string
  drill: string
  bundle: string | null
  manifest_sha256: string | null
  signer_keyid: string | null
  signer_name: string | null
  problem: string | null
}

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

/** The auditor's summary of a period: drills due and run, pass/fail, objectives against measured, failures with their follow-up notes, drills due and not run. */
export function periodReport(store: HistoryStore, drills: readonly ScheduledDrill[], period: Period, now = new Date()): PeriodReport {
  const inPeriod = store.runs({since: period.start, until: period.end})
  const before = store.runs({until: period.start}).filter(completed)
  const names = new Set([...drills.map((d) => d.name), ...inPeriod.map((r) => r.drill)])
  const rows: PeriodDrill[] = [...names].sort().map((name) => {
    const d = drills.find((x) => x.name === name)
    const all = inPeriod.filter((r) => r.drill === name)
    const runs = all.filter(completed)
    const passed = runs.filter((r) => r.verdict === 'pass').length
    const base = {drill: name, file: d?.file ?? null, frequency: d?.frequency ?? null, runs: runs.length, passed, failed: runs.length - passed, not_completed: all.length - runs.length}
    if (!d?.frequency) return {...base, due: false, expected_runs: 0, status: runs.length === 0 ? 'unscheduled' : passed === runs.length ? 'done' : 'failed'}
    const last = before.filter((r) => r.drill === name).at(-1)
    const dueAt = last ? addInterval(new Date(last.started_at), d.frequency) : period.start
    const due = dueAt < period.end
    const expected = due ? Math.max(1, countDue(d.frequency, dueAt < period.start ? period.start : dueAt, period.end)) : 0
    const status = runs.length === 0 ? (due ? 'not run' : 'not due') : passed === runs.length ? 'done' : 'failed'
    return {...base, due, expected_runs: expected, status}
  })
  const runs = inPeriod.map((r) => ({...r, notes: store.notes(r.run_id)}))
  return {
    period: {label: period.label, start: period.start.toISOString().slice(0, 10), end: new Date(period.end.getTime() - 1).toISOString().slice(0, 10)},
    generated_at: now.toISOString(),
    drills: rows,
    runs,
    not_run: rows.filter((r) => r.status === 'not run').map((r) => r.drill),
    totals: {
      runs: inPeriod.length,
      passed: inPeriod.filter((r) => completed(r) && r.verdict === 'pass').length,
      failed: inPeriod.filter((r) => completed(r) && r.verdict === 'fail').length,
      not_completed: inPeriod.filter((r) => !completed(r)).length,
      due: rows.filter((r) => r.due).length,
      due_and_run: rows.filter((r) => r.due && r.runs > 0).length,
    },
  }
}

/** How many due dates of this frequency fall in [from, end). */
function countDue(frequency: Frequency, from: Date, end: Date): number {
  let n = 0
  for (let d = from; d < end && n < 1000; d = addInterval(d, frequency)) n++
  return n
}

/** Only a completed run (pass or fail) is a drill held; rows recorded before status was kept count as completed. */
const completed = (r: RunRow) => (r.status ?? 'completed') === 'completed'

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
