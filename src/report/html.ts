import {formatMs} from '../config/duration.js'
import {narrative} from './narrative.js'
import {anchorMs, signatureLine, verdictLabel, type RunReport} from './run-report.js'
import type {DrillResult} from '../model/result.js'
import type {Sample} from '../model/sample.js'

/**
 * One self-contained HTML page (inline CSS and SVG, nothing fetched) an auditor reads without knowing
 * firedrill: verdict, objectives against measured, a timeline chart, lost writes, environment, signature.
 * Prints to PDF as it shows on screen.
 */
export function renderHtml(report: RunReport): string {
  const r = report.result
  const env = report.environment
  const m = r.measurements
  const pass = r.verdict === 'pass'
  const integrityBad = report.integrity !== undefined && !report.integrity.ok
  const sigBad = report.signature.state !== 'valid' && report.signature.state !== 'signed'
  const rows = (cells: string[][]) => cells.map((c) => `<tr>${c.map((x) => `<td>${x}</td>`).join('')}</tr>`).join('\n')
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="firedrill ${esc(env?.firedrill.version ?? '')}">
<title>${esc(r.drill)}: ${verdictLabel(r)} — firedrill run ${esc(r.run_id)}</title>
<style>${CSS}</style>
</head>
<body>
<header>
  <div class="verdict ${pass ? 'pass' : 'fail'}" id="verdict">${verdictLabel(r)}</div>
  <div>
    <h1>Disaster-recovery drill <code>${esc(r.drill)}</code></h1>
    <p class="meta">Run <code>${esc(r.run_id)}</code> on topology <code>${esc(r.topology)}</code> · ${esc(r.started_at)} → ${esc(r.finished_at)} UTC (${formatMs(r.duration_ms)})${env ? ` · operator <b>${esc(env.operator.name)}</b> on ${esc(env.host.hostname)}` : ''}</p>
  </div>
</header>
${integrityBad ? `<div class="alert" id="integrity-alert"><b>This evidence bundle failed verification.</b> ${report.integrity!.problems.map(esc).join('; ')}</div>` : ''}
<section id="summary">
<h2>What happened</h2>
<ol class="story">${narrative(r).map((l) => `<li>${esc(l)}</li>`).join('')}</ol>
</section>
<section id="objectives">
<h2>Objectives against measured</h2>
<table>
<thead><tr><th>objective</th><th>target</th><th>measured</th><th>verdict</th><th>why</th></tr></thead>
<tbody>
${r.results.map((o) => `<tr class="${o.met ? 'met' : 'missed'}"><td>${esc(o.objective.toUpperCase().replace('ASSERT:', 'assert:'))}</td><td>${esc(o.target)}</td><td>${esc(o.measured)}</td><td class="v">${o.met ? 'PASS' : 'FAIL'}</td><td>${esc(o.reason)}</td></tr>`).join('\n')}
</tbody>
</table>
<p class="note">Every time is measured on one monotonic clock and is no more precise than the probe interval (± ${formatMs(m.resolution_ms)}). RTO runs from the fault to the first of ${r.probe.stable_samples} successive acknowledged writes.</p>
</section>
<section id="timeline">
<h2>Timeline</h2>
${timelineSvg(r)}
<div class="legend"><span class="sw ok"></span>write acknowledged <span class="sw failed"></span>write failed <span class="sw indeterminate"></span>no answer in time (indeterminate) <span class="ln fault"></span>fault <span class="ln phase"></span>measured phase <span class="ln revert"></span>fault undone</div>
</section>
<section id="lost-writes">
<h2>Lost writes</h2>
${
  m.lost_writes === null
    ? '<p class="bad">Unknown: the data could not be read back after the drill.</p>'
    : m.lost_writes === 0
      ? `<p>None. All ${m.acked_writes} acknowledged writes were present when read back from the recovered primary.</p>`
      : `<p class="bad">${m.lost_writes} acknowledged write(s) missing after the drill (RPO ${formatMs(m.rpo_ms ?? 0)}):</p>${lostTable(r)}`
}
<p class="note">${m.acked_writes} acknowledged, ${m.failed_writes} failed, ${m.indeterminate_writes} indeterminate${m.indeterminate_present === null ? '' : ` (${m.indeterminate_present} of them found applied)`}. Indeterminate writes are never counted as lost.</p>
</section>
<section id="steps">
<h2>Steps</h2>
<table><thead><tr><th>#</th><th>step</th><th>started (s)</th><th>took</th><th>status</th></tr></thead><tbody>
${rows(r.steps.map((s) => [String(s.index + 1), esc(s.description), s.started_ms === undefined ? '–' : (s.started_ms / 1000).toFixed(2), s.duration_ms === undefined ? '–' : formatMs(s.duration_ms), esc(s.status)]))}
</tbody></table>
</section>
<section id="events">
<h2>Events</h2>
<table class="events"><thead><tr><th>t (s)</th><th>UTC</th><th>event</th><th>detail</th></tr></thead><tbody>
${rows(r.timeline.map((e) => [(e.t_ms / 1000).toFixed(2), esc(e.at.slice(11, 23)), `<span class="k k-${esc(e.kind)}">${esc(e.kind)}</span>`, esc(e.detail)]))}
</tbody></table>
</section>
<section id="environment">
<h2>Environment</h2>
${env ? environmentTable(report) : '<p class="bad">No environment.json in this bundle.</p>'}
</section>
<section id="signature">
<h2>Evidence and signature</h2>
<p class="${sigBad || integrityBad ? 'bad' : 'good'}" id="signature-status">${esc(signatureLine(report))}</p>
${report.integrity ? `<p id="integrity-status" class="${report.integrity.ok ? 'good' : 'bad'}">${report.integrity.ok ? 'Integrity checked when this page was made: every file matches the manifest; the event chain is unbroken.' : `Integrity FAILED: ${report.integrity.problems.map(esc).join('; ')}`}</p>` : ''}
${report.signature.keyid ? `<p id="signer">Signing key: <code>${esc(report.signature.keyid)}</code>${report.signature.name ? ` (${esc(report.signature.name)})` : ''}</p>` : ''}
<p class="note">Check the bundle yourself: <code>firedrill evidence verify ${esc(report.bundle ?? `.firedrill/runs/${r.run_id}`)} --require-signature</code> (with the signer's key trusted: <code>firedrill keys trust</code>), or without firedrill, as its <code>VERIFY.md</code> says.</p>
</section>
<footer>firedrill ${esc(env?.firedrill.version ?? '')} · drill file sha256 ${esc(r.drill_sha256)} · topology file sha256 ${esc(r.topology_sha256)}</footer>
</body>
</html>
`
}

function environmentTable(report: RunReport): string {
  const env = report.environment!
  /** [label, value, small print] */
  const kv: [string, string, string?][] = [
    ['firedrill', `${env.firedrill.version} on Node ${env.firedrill.node}`],
    ['Docker engine', `${env.engine.version} (API ${env.engine.apiVersion}, ${env.engine.os})`],
    ['operator', `${env.operator.name} (${env.operator.source === 'flag' ? 'given with --operator' : 'login'})`],
    ['host', `${env.host.hostname} (${env.host.platform} ${env.host.release} ${env.host.arch})`],
    ['started / finished (UTC)', `${env.time.started_at} / ${env.time.finished_at}`],
    ['duration (monotonic)', formatMs(env.time.duration_ms)],
    ['git', env.git ? `${env.git.commit}${env.git.dirty ? ' (drill file modified since this commit)' : ''}` : 'the drill file is not in a git repository'],
    ...env.inputs.map((i): [string, string, string] => [`${i.role} file`, i.path, `sha256 ${i.sha256}${i.redacted ? ' · secrets redacted in the bundled copy' : ''}`]),
    ...env.images.map((i): [string, string, string] => [`image ${i.ref}`, i.id ?? 'not found on this machine', i.repo_digests.join(', ')]),
    ['secrets redacted', `${env.secrets_redacted} value(s)`],
    ...(env.not_collected ?? []).map((n): [string, string] => ['not collected', n]),
  ]
  return `<table class="kv"><tbody>${kv.map(([k, v, small]) => `<tr><th>${esc(k)}</th><td>${esc(v)}${small ? `<br><small>${esc(small)}</small>` : ''}</td></tr>`).join('\n')}</tbody></table>`
}

function lostTable(r: DrillResult): string {
  const bySeq = new Map((r.samples ?? []).map((s) => [s.seq, s]))
  return `<table><thead><tr><th>seq</th><th>acknowledged at (s)</th><th>by</th></tr></thead><tbody>${r.measurements.lost_seqs
    .map((q) => {
      const s = bySeq.get(q)
      return `<tr><td>${q}</td><td>${s ? (s.end / 1000).toFixed(2) : '?'}</td><td>${esc(s?.node ?? '?')}</td></tr>`
    })
    .join('')}</tbody></table>`
}

const W = 1000
const LEFT = 92
const RIGHT = 16
const MARKER_KINDS: Record<string, string> = {
  fault: 'fault',
  runbook: 'fault',
  'first-failure': 'phase',
  'leader-change': 'phase',
  recovered: 'phase',
  'not-recovered': 'fault',
  'split-brain': 'fault',
  'wait-timeout': 'fault',
  revert: 'revert',
  'revert-failed': 'fault',
}
const NODE_COLOURS = ['#4e79a7', '#f28e2b', '#76b7b2', '#b07aa1', '#9c755f', '#59a14f']

/** Samples (merged into runs of one outcome and node), steps, fault and phase markers, the RTO bracket. */
export function timelineSvg(r: DrillResult): string {
  const samples = r.samples ?? []
  // One lane per probe when the drill has several (the served-by row and the RTO bracket are the first probe's).
  const probeLanes =
    r.probes && r.probes.length > 1 ? r.probes.map((p, i) => ({label: p.name, samples: p.samples ?? (i === 0 ? samples : []), rto: p.measurements.rto_ms})) : [{label: 'writes', samples, rto: undefined}]
  const end = Math.max(r.duration_ms, ...probeLanes.flatMap((l) => l.samples.map((s) => s.end)), 1)
  const x = (ms: number) => LEFT + (Math.max(0, Math.min(ms, end)) / end) * (W - LEFT - RIGHT)
  const markers = r.timeline.filter((e) => MARKER_KINDS[e.kind])
  const lanes: number[] = []
  const labelled = markers.map((e) => {
    const px = x(e.t_ms)
    const text = `${e.kind} ${(e.t_ms / 1000).toFixed(2)} s`
    const width = text.length * 6.2
    let lane = lanes.findIndex((endX) => endX < px - 2)
    if (lane < 0) lane = lanes.length
    lanes[lane] = px + width
    return {e, px, text, lane}
  })
  const laneCount = Math.max(1, lanes.length)
  const top = 16 + laneCount * 14
  const yStep = top + 8
  const ySamples = yStep + 34
  const yNodes = ySamples + 34 * (probeLanes.length - 1) + 44
  const yBracket = yNodes + 34
  const yAxis = yBracket + 26
  const H = yAxis + 24
  const out: string[] = []
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-label="timeline of probe samples" id="timeline-chart" font-family="system-ui, sans-serif" font-size="11">`)
  out.push(`<text x="4" y="${yStep + 15}" class="row">steps</text>${probeLanes.map((l, i) => `<text x="4" y="${ySamples + 34 * i + 20}" class="row">${esc(truncate(l.label, 14))}</text>`).join('')}<text x="4" y="${yNodes + 13}" class="row">served by</text>`)
  // Steps as alternating bands.
  r.steps.forEach((s, i) => {
    if (s.started_ms === undefined) return
    const x0 = x(s.started_ms)
    const x1 = x(s.started_ms + (s.duration_ms ?? 0))
    const w = Math.max(1, x1 - x0)
    out.push(`<g class="step"><rect x="${f(x0)}" y="${yStep}" width="${f(w)}" height="22" fill="${i % 2 ? '#e8edf3' : '#d5dee9'}"><title>${esc(`step ${i + 1}: ${s.description} (${s.status})`)}</title></rect>`)
    const chars = Math.floor((w - 6) / 6)
    if (chars >= 3) out.push(`<text x="${f(x0 + 3)}" y="${yStep + 15}" fill="#234">${esc(truncate(`${i + 1}. ${s.description}`, chars))}</text>`)
    out.push('</g>')
  })
  // Samples, merged into runs of one outcome (and node) so long drills stay small; one lane per probe.
  probeLanes.forEach((lane, i) => {
    const y = ySamples + 34 * i
    const who = probeLanes.length > 1 ? `${lane.label} ` : ''
    if (probeLanes.length > 1) out.push(`<g class="probe-lane" data-probe="${esc(lane.label)}">`)
    for (const run of runs(lane.samples, (s) => s.outcome)) {
      const first = run[0]!
      const last = run.at(-1)!
      const x0 = x(first.start)
      const w = Math.max(1.2, x(last.end) - x0)
      out.push(
        `<rect class="sample ${first.outcome}" data-outcome="${first.outcome}" data-count="${run.length}" x="${f(x0)}" y="${y}" width="${f(w)}" height="30"><title>${esc(`${who}seq ${first.seq}${run.length > 1 ? `–${last.seq}` : ''}: ${first.outcome}${first.error ? ` (${first.error})` : ''}`)}</title></rect>`,
      )
    }
    if (probeLanes.length > 1) {
      const rto = lane.rto === undefined ? '' : lane.rto === null ? 'never recovered' : `RTO ${formatMs(lane.rto)}`
      if (rto) out.push(`<text x="${f(W - RIGHT - 2)}" y="${y + 19}" text-anchor="end" fill="#234">${esc(rto)}</text>`)
      out.push('</g>')
    }
  })
  const nodes = [...new Set(samples.filter((s) => s.outcome === 'ok' && s.node).map((s) => s.node!))]
  for (const run of runs(
    samples.filter((s) => s.outcome === 'ok' && s.node),
    (s) => s.node!,
  )) {
    const first = run[0]!
    const colour = NODE_COLOURS[nodes.indexOf(first.node!) % NODE_COLOURS.length]
    out.push(`<rect class="node" x="${f(x(first.start))}" y="${yNodes}" width="${f(Math.max(1.2, x(run.at(-1)!.end) - x(first.start)))}" height="18" fill="${colour}"><title>${esc(`${first.node}: seq ${first.seq}–${run.at(-1)!.seq}`)}</title></rect>`)
  }
  nodes.forEach((n, i) => {
    out.push(`<rect x="${f(LEFT + i * 150)}" y="${yNodes + 22}" width="10" height="8" fill="${NODE_COLOURS[i % NODE_COLOURS.length]}"/><text x="${f(LEFT + 14 + i * 150)}" y="${yNodes + 30}" font-size="10">${esc(n)}</text>`)
  })
  // Fault and phase markers, labels staggered in lanes above the chart.
  for (const {e, px, text, lane} of labelled) {
    const cls = MARKER_KINDS[e.kind]!
    const ly = 12 + lane * 14
    out.push(
      `<g class="marker ${cls}" data-kind="${esc(e.kind)}"><line x1="${f(px)}" x2="${f(px)}" y1="${ly + 3}" y2="${yNodes + 18}"/><text x="${f(px + 2)}" y="${ly}">${esc(text)}</text><title>${esc(`${e.kind} at ${(e.t_ms / 1000).toFixed(2)} s: ${e.detail}`)}</title></g>`,
    )
  }
  // The RTO bracket: from the fault to the start of the stable run of acknowledged writes.
  const anchor = anchorMs(r)
  const m = r.measurements
  if (anchor !== undefined && m.rto_ms !== null && m.rto_ms > 0) {
    const x0 = x(anchor)
    const x1 = x(anchor + m.rto_ms)
    out.push(
      `<g id="rto-bracket" class="bracket"><path d="M${f(x0)} ${yBracket - 8} V${yBracket} H${f(x1)} V${yBracket - 8}"/><text x="${f((x0 + x1) / 2)}" y="${yBracket + 14}" text-anchor="middle">RTO ${esc(formatMs(m.rto_ms))} ± ${esc(formatMs(m.resolution_ms))}</text></g>`,
    )
  } else if (m.rto_ms === null && anchor !== undefined) {
    out.push(`<g id="rto-bracket" class="bracket open"><path d="M${f(x(anchor))} ${yBracket - 8} V${yBracket} H${f(x(end))}"/><text x="${f(x(anchor) + 4)}" y="${yBracket + 14}">never recovered</text></g>`)
  }
  // Axis.
  const step = niceStep(end / 1000)
  out.push(`<line x1="${LEFT}" x2="${W - RIGHT}" y1="${yAxis}" y2="${yAxis}" stroke="#888"/>`)
  for (let t = 0; t <= end / 1000 + 1e-9; t += step) {
    out.push(`<line x1="${f(x(t * 1000))}" x2="${f(x(t * 1000))}" y1="${yAxis}" y2="${yAxis + 4}" stroke="#888"/><text x="${f(x(t * 1000))}" y="${yAxis + 15}" text-anchor="middle" fill="#555">${Number(t.toFixed(1))} s</text>`)
  }
  out.push('</svg>')
  return out.join('\n')
}

function runs(samples: readonly Sample[], key: (s: Sample) => string): Sample[][] {
  const out: Sample[][] = []
  for (const s of [...samples].sort((a, b) => a.start - b.start)) {
    const last = out.at(-1)
    if (last && key(last[0]!) === key(s)) last.push(s)
    else out.push([s])
  }
  return out
}

function niceStep(seconds: number): number {
  for (const s of [0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600]) if (seconds / s <= 14) return s
  return 1200
}

function f(n: number): string {
  return n.toFixed(1)
}

function truncate(s: string, n: number): string {
  return s.length <= n ? s : `${s.slice(0, Math.max(1, n - 1))}…`
}

export function esc(s: string): string {
  return s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;').replaceAll("'", '&#39;')
}

const CSS = `
:root { --pass: #1a7f37; --fail: #c62828; --ink: #1d2733; --muted: #5b6878; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); max-width: 1080px; margin: 24px auto; padding: 0 20px; }
header { display: flex; gap: 18px; align-items: center; border-bottom: 2px solid #dde3ea; padding-bottom: 12px; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 16px; margin: 22px 0 8px; border-bottom: 1px solid #e4e8ee; padding-bottom: 3px; }
.meta { margin: 0; color: var(--muted); }
.verdict { font-size: 28px; font-weight: 800; color: #fff; padding: 10px 18px; border-radius: 8px; letter-spacing: 1px; }
.verdict.pass { background: var(--pass); } .verdict.fail { background: var(--fail); }
.alert { background: #fdecea; border: 2px solid var(--fail); padding: 10px 14px; margin: 14px 0; border-radius: 6px; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid #e8ecf1; vertical-align: top; }
th { background: #f4f6f9; font-weight: 600; }
tr.met td.v { color: var(--pass); font-weight: 700; } tr.missed td.v { color: var(--fail); font-weight: 700; } tr.missed { background: #fff4f4; }
table.kv th { width: 210px; } table.events td:first-child { text-align: right; font-variant-numeric: tabular-nums; }
.story li { margin: 2px 0; }
.note { color: var(--muted); font-size: 12.5px; }
.good { color: var(--pass); font-weight: 600; } .bad { color: var(--fail); font-weight: 600; }
code { font: 12.5px ui-monospace, Menlo, Consolas, monospace; background: #f1f3f6; padding: 0 3px; border-radius: 3px; }
small { color: var(--muted); word-break: break-all; }
svg .row { fill: var(--muted); font-weight: 600; }
svg .sample.ok { fill: #2e9e4f; } svg .sample.failed { fill: #d93025; } svg .sample.indeterminate { fill: #f2a900; }
svg .marker line { stroke-width: 1.5; stroke-dasharray: 4 3; } svg .marker text { font-size: 10.5px; }
svg .marker.fault line { stroke: var(--fail); } svg .marker.fault text { fill: var(--fail); font-weight: 700; }
svg .marker.phase line { stroke: #6a3d9a; } svg .marker.phase text { fill: #6a3d9a; }
svg .marker.revert line { stroke: #1f5fbf; } svg .marker.revert text { fill: #1f5fbf; }
svg .bracket path { fill: none; stroke: var(--ink); stroke-width: 2; } svg .bracket text { font-weight: 700; font-size: 12px; }
.legend { font-size: 12px; color: var(--muted); margin-top: 4px; }
.legend .sw { display: inline-block; width: 12px; height: 10px; margin: 0 4px 0 12px; vertical-align: -1px; }
.sw.ok { background: #2e9e4f; } .sw.failed { background: #d93025; } .sw.indeterminate { background: #f2a900; }
.legend .ln { display: inline-block; width: 16px; border-top: 2px dashed; margin: 0 4px 3px 12px; }
.ln.fault { border-color: var(--fail); } .ln.phase { border-color: #6a3d9a; } .ln.revert { border-color: #1f5fbf; }
footer { margin-top: 26px; color: var(--muted); font-size: 11px; word-break: break-all; }
@media print {
  body { margin: 0; max-width: none; font-size: 11.5px; }
  section { break-inside: avoid; } table.events, #events { break-inside: auto; } tr { break-inside: avoid; }
  .verdict, tr.missed, th, .alert { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  @page { size: A4; margin: 14mm; }
}
`
