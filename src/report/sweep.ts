import Table from 'cli-table3'

import {formatDuration} from '../config/duration.js'
import {faultLabel} from '../grade/sweep.js'
import type {SweepCell, SweepResult, SweepRow} from '../model/sweep.js'
import {esc} from './html.js'

/**
 * A sweep's outputs, every one from the one SweepResult: the matrix (rows the faults, columns the probes)
 * as a table, Markdown, an HTML heat map and JUnit (one testcase per cell), and the single points of failure.
 */

/** Wall time, to the second. */
const took = (ms: number) => `${Math.round(ms / 1000)} s`

const seconds = (ms: number) => `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`

/** One cell in words: `RTO 4.40 s ± 1.2 s, 3 lost`, `unaffected`, `not recovered within 45 s`, `not measured`. */
export function cellText(c: SweepCell, boundMs: number): string {
  if (c.state === 'not-measured') return 'not measured'
  const lost = c.lost_writes === null ? '' : c.lost_writes === 0 ? ', 0 lost' : `, ${c.lost_writes} lost (RPO ${seconds(c.rpo_ms ?? 0)})`
  if (c.state === 'not-recovered') return `not recovered within ${formatDuration(boundMs)}${lost}`
  if (c.rto_ms === 0) return `unaffected${lost}`
  return `RTO ${seconds(c.rto_ms!)} ± ${seconds(c.resolution_ms)}${lost}`
}

const cellOf = (row: SweepRow, probe: string) => row.cells.find((c) => c.probe === probe)

/** The sentences under the matrix: each single point of failure, then the notes, then "none" when there are none. */
export function findings(r: SweepResult): string[] {
  const lines = r.spofs.map((s) => `Single point of failure: ${s.sentence}.`)
  if (r.spofs.length === 0) lines.push(`No single point of failure: every probe recovered within ${formatDuration(r.bound_ms)} of every ${r.fault} swept.`)
  for (const n of r.notes) lines.push(`Note: ${n.sentence}.`)
  if (r.status !== 'completed') lines.push(`The sweep was ${r.status}${r.error ? ` (${r.error.split('\n')[0]})` : ''}: the rows not run are missing, and it cannot pass.`)
  return lines
}

/** The matrix for people: one row per fault, one column per probe, the row's wall time, then the findings. */
export function sweepTable(r: SweepResult): string {
  const table = new Table({
    head: ['fault', ...r.probes.map((p) => p.name), 'took'],
    style: {head: [], border: []},
    chars: {mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': ''},
  })
  for (const row of r.rows) table.push([faultLabel(row.fault), ...r.probes.map((p) => { const c = cellOf(row, p.name); return c ? cellText(c, r.bound_ms) : '—' }), took(row.duration_ms)])
  const head = `Sweep ${r.sweep_id} of ${r.topology}: ${r.fault}, one site at a time; bound ${formatDuration(r.bound_ms)}, settle ${formatDuration(r.settle_ms)}; ${r.verdict.toUpperCase()} in ${took(r.duration_ms)}`
  return [head, table.toString(), ...findings(r)].join('\n')
}

/** Markdown: the same matrix and findings. */
export function sweepMarkdown(r: SweepResult): string {
  const cell = (s: string) => s.replaceAll('|', '\\|')
  return [
    `# Sweep of ${r.topology}: ${r.verdict.toUpperCase()}`,
    '',
    `${r.fault}, one ${r.rows.some((x) => x.fault.service) ? 'service on one site' : 'site'} at a time; a cell is "not recovered" after ${formatDuration(r.bound_ms)} from the fault; every cell watched for at least ${formatDuration(r.settle_ms)}. Sweep \`${r.sweep_id}\`, ${r.started_at} → ${r.finished_at} (${took(r.duration_ms)}).`,
    '',
    `| fault | ${r.probes.map((p) => `${cell(p.name)} (${p.kind} → ${cell(p.service)})`).join(' | ')} | took |`,
    `| --- | ${r.probes.map(() => '---').join(' | ')} | --- |`,
    ...r.rows.map((row) => `| ${faultLabel(row.fault)} | ${r.probes.map((p) => { const c = cellOf(row, p.name); return c ? cell(cellText(c, r.bound_ms)) : '—' }).join(' | ')} | ${took(row.duration_ms)} |`),
    '',
    ...findings(r).map((l) => `- ${l}`),
    '',
  ].join('\n')
}

/** A cell's colour on the heat map: green unaffected, yellow to red by RTO against the bound, dark red not recovered, grey not measured. */
export function heat(c: SweepCell | undefined, boundMs: number): string {
  if (!c || c.state === 'not-measured') return '#c9ced6'
  if (c.state === 'not-recovered') return '#8b1a1a'
  if ((c.rto_ms ?? 0) === 0) return (c.lost_writes ?? 0) > 0 ? '#f2a900' : '#2e9e4f'
  const t = Math.min(1, (c.rto_ms ?? 0) / boundMs)
  // From yellow-green (fast) through orange to red (near the bound).
  const hue = Math.round(80 - 75 * t)
  return `hsl(${hue}, 75%, ${Math.round(48 - 6 * t)}%)`
}

/** One self-contained HTML page (inline CSS, no script, nothing fetched): the matrix as a heat map, the findings. */
export function sweepHtml(r: SweepResult): string {
  const pass = r.verdict === 'pass'
  const spofKeys = new Set(r.spofs.flatMap((s) => s.probes.map((p) => `${faultLabel(s.fault)}|${p}`)))
  const rows = r.rows
    .map((row) => {
      const cells = r.probes
        .map((p) => {
          const c = cellOf(row, p.name)
          const spof = spofKeys.has(`${faultLabel(row.fault)}|${p.name}`)
          return `<td class="cell${spof ? ' spof' : ''}" style="background:${heat(c, r.bound_ms)}">${c ? esc(cellText(c, r.bound_ms)) : '—'}${spof ? '<br><b>single point of failure</b>' : ''}</td>`
        })
        .join('')
      return `<tr><th>${esc(faultLabel(row.fault))}</th>${cells}<td class="took">${esc(took(row.duration_ms))}</td></tr>`
    })
    .join('\n')
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Sweep of ${esc(r.topology)}: ${r.verdict.toUpperCase()} — firedrill</title>
<style>${CSS}</style>
</head>
<body>
<header>
  <div class="verdict ${pass ? 'pass' : 'fail'}" id="verdict">${pass ? 'NO SPOF' : r.spofs.length > 0 ? `${r.spofs.length} SPOF` : 'FAIL'}</div>
  <div>
    <h1>Single points of failure of <code>${esc(r.topology)}</code></h1>
    <p class="meta">${esc(r.fault)} on each ${r.rows.some((x) => x.fault.service) ? 'service of each site' : 'site'}, one at a time · not recovered = none within ${esc(formatDuration(r.bound_ms))} · sweep <code>${esc(r.sweep_id)}</code> · ${esc(r.started_at)} → ${esc(r.finished_at)} UTC (${esc(took(r.duration_ms))})</p>
  </div>
</header>
<section id="matrix">
<h2>Faults × probes</h2>
<table class="heat">
<thead><tr><th>fault</th>${r.probes.map((p) => `<th>${esc(p.name)}<br><small>${esc(p.kind)} → ${esc(p.service)}</small></th>`).join('')}<th>took</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>
<p class="legend"><span class="sw" style="background:#2e9e4f"></span>unaffected<span class="sw" style="background:hsl(80,75%,48%)"></span>recovered fast<span class="sw" style="background:hsl(5,75%,42%)"></span>recovered near the bound<span class="sw" style="background:#f2a900"></span>writes lost, no outage<span class="sw" style="background:#8b1a1a"></span>not recovered<span class="sw" style="background:#c9ced6"></span>not measured</p>
</section>
<section id="findings">
<h2>Findings</h2>
<ul>${findings(r).map((l) => `<li>${esc(l)}</li>`).join('')}</ul>
</section>
<footer>firedrill sweep · topology ${esc(r.topology_file)} (sha256 ${esc(r.topology_sha256)}) · probes from ${esc(r.probes_file)}</footer>
</body>
</html>
`
}

/** JUnit: one testsuite for the sweep, one testcase per cell; a cell not recovered (or not measured) is a failure, so a nightly CI fails when a new single point of failure appears. */
export function sweepJunit(r: SweepResult): string {
  const cases = r.rows.flatMap((row) =>
    r.probes.map((p) => {
      const c = cellOf(row, p.name)
      const name = `${faultLabel(row.fault)}: ${p.name}`
      const head = `    <testcase name="${attr(name)}" classname="${attr(`firedrill.sweep.${r.topology}`)}" time="${((row.duration_ms) / 1000).toFixed(3)}">`
      if (c && c.state === 'recovered') return `${head}</testcase>`
      const spof = r.spofs.find((s) => faultLabel(s.fault) === faultLabel(row.fault) && s.probes.includes(p.name))
      const note = r.notes.find((s) => faultLabel(s.fault) === faultLabel(row.fault) && s.probes.includes(p.name))
      if (note) return `${head}\n      <skipped message="${attr(note.sentence)}"/>\n    </testcase>`
      const message = spof ? spof.sentence : c ? cellText(c, r.bound_ms) : 'not measured'
      return `${head}\n      <failure message="${attr(message)}" type="${spof ? 'single-point-of-failure' : 'not-measured'}">${text(message)}</failure>\n    </testcase>`
    }),
  )
  const failures = cases.filter((c) => c.includes('<failure')).length
  const skipped = cases.filter((c) => c.includes('<skipped')).length
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<testsuites>',
    `  <testsuite package="firedrill" id="0" name="${attr(`sweep ${r.topology} ${r.fault}`)}" timestamp="${r.started_at.slice(0, 19)}" hostname="localhost" tests="${cases.length}" failures="${failures}" errors="0" skipped="${skipped}" time="${(r.duration_ms / 1000).toFixed(3)}">`,
    '    <properties>',
    ...[
      ['sweep_id', r.sweep_id],
      ['topology', r.topology],
      ['topology_sha256', r.topology_sha256],
      ['fault', r.fault],
      ['bound_ms', String(r.bound_ms)],
      ['verdict', r.verdict],
      ['status', r.status],
    ].map(([k, v]) => `      <property name="${attr(k!)}" value="${attr(v!)}"/>`),
    '    </properties>',
    ...cases,
    // The figures of every cell (the Ant schema allows no system-out inside a testcase), then the findings.
    `    <system-out>${text([...r.rows.flatMap((row) => r.probes.map((p) => { const c = cellOf(row, p.name); return `${faultLabel(row.fault)}: ${p.name}: ${c ? cellText(c, r.bound_ms) : 'not run'}` })), ...findings(r)].join('\n'))}</system-out>`,
    '    <system-err></system-err>',
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n')
}

function text(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, '').replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;')
}
function attr(s: string): string {
  return text(s).replaceAll('"', '&quot;').replaceAll('\n', '&#10;')
}

const CSS = `
:root { --pass: #1a7f37; --fail: #c62828; --ink: #1d2733; --muted: #5b6878; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); max-width: 1080px; margin: 24px auto; padding: 0 20px; }
header { display: flex; gap: 18px; align-items: center; border-bottom: 2px solid #dde3ea; padding-bottom: 12px; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 16px; margin: 22px 0 8px; }
.meta { margin: 0; color: var(--muted); }
.verdict { font-size: 26px; font-weight: 800; color: #fff; padding: 10px 18px; border-radius: 8px; white-space: nowrap; }
.verdict.pass { background: var(--pass); } .verdict.fail { background: var(--fail); }
table.heat { border-collapse: separate; border-spacing: 3px; width: 100%; }
table.heat th { background: #f4f6f9; text-align: left; padding: 6px 8px; font-weight: 600; }
table.heat td.cell { color: #fff; padding: 10px 8px; font-weight: 600; text-shadow: 0 1px 1px rgba(0,0,0,.35); border-radius: 4px; min-width: 150px; }
table.heat td.spof { outline: 3px solid #1d2733; }
table.heat td.took { color: var(--muted); font-variant-numeric: tabular-nums; }
small { color: var(--muted); font-weight: 400; }
code { font: 12.5px ui-monospace, Menlo, Consolas, monospace; background: #f1f3f6; padding: 0 3px; border-radius: 3px; }
.legend { font-size: 12px; color: var(--muted); } .legend .sw { display: inline-block; width: 12px; height: 10px; margin: 0 4px 0 12px; vertical-align: -1px; }
footer { margin-top: 26px; color: var(--muted); font-size: 11px; word-break: break-all; }
@media print { body { margin: 0; max-width: none; } td.cell, .verdict, .sw { -webkit-print-color-adjust: exact; print-color-adjust: exact; } }
`
