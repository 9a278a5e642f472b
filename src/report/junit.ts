import {probeFigures, sampleCounts, verdictLabel, type RunReport} from './run-report.js'

/**
 * JUnit XML as CI systems read it (the Apache Ant format): one testsuite per drill run, one testcase per
 * objective; a missed objective is a failure whose text gives measured against objective.
 */
export function renderJunit(reports: readonly RunReport[]): string {
  const suites = reports.map((report, id) => {
    const r = report.result
    const failures = r.results.filter((o) => !o.met).length
    const props: [string, string][] = [
      ['run_id', r.run_id],
      ['drill_file', r.drill_file],
      ['drill_sha256', r.drill_sha256],
      ['topology', r.topology],
      ['topology_sha256', r.topology_sha256],
      ['verdict', r.verdict],
      ['status', r.status ?? 'completed'],
      ['started_at', r.started_at],
      ['finished_at', r.finished_at],
      ['probe', `${r.probe.kind} on ${r.probe.service} from the ${r.probe.vantage}, every ${r.probe.interval_ms} ms`],
      ['engine', `${r.engine.version} (API ${r.engine.apiVersion})`],
    ]
    // Several probes: each one as a property of its own (its testcases are named `NAME: rto` and so on).
    if (r.probes && r.probes.length > 1) for (const p of r.probes) props.push([`probe.${p.name}`, `${p.probe.kind} on ${p.probe.service} from the ${p.probe.vantage}, every ${p.probe.interval_ms} ms`])
    if (report.environment) props.push(['operator', report.environment.operator.name], ['firedrill_version', report.environment.firedrill.version])
    props.push(['signature', report.signature.state])
    if (report.signature.keyid) props.push(['signature.keyid', report.signature.keyid])
    if (report.signature.name) props.push(['signature.key_name', report.signature.name])
    const cases = r.results.map((o) => {
      const name = o.objective
      const head = `    <testcase name="${attr(name)}" classname="${attr(`firedrill.${r.drill}`)}" time="0">`
      if (o.met) return `${head}</testcase>`
      const message = `${label(o.objective)} measured ${o.measured}, objective ${o.target}`
      return `${head}\n      <failure message="${attr(message)}" type="objective-missed">${text(`${message}: ${o.reason}`)}</failure>\n    </testcase>`
    })
    const out = [
      `Verdict: ${verdictLabel(r)}${r.error ? ` (${r.error.split('\n')[0]})` : ''}`,
      `RTO ${r.measurements.rto_ms === null ? 'never recovered' : `${r.measurements.rto_ms} ms`} ± ${r.measurements.resolution_ms} ms; ` +
        sampleCounts(r.measurements),
      ...(r.probes && r.probes.length > 1 ? r.probes.map((p) => `Probe ${probeFigures(p, r.status)}`) : []),
      ...r.timeline.map((e) => `${(e.t_ms / 1000).toFixed(2).padStart(8)} s  ${e.kind}  ${e.detail}`),
    ].join('\n')
    return [
      `  <testsuite package="firedrill" id="${id}" name="${attr(r.drill)}" timestamp="${r.started_at.slice(0, 19)}" hostname="${attr(report.environment?.host.hostname || 'localhost')}" tests="${r.results.length}" failures="${failures}" errors="0" skipped="0" time="${(r.duration_ms / 1000).toFixed(3)}">`,
      '    <properties>',
      ...props.map(([k, v]) => `      <property name="${attr(k)}" value="${attr(v)}"/>`),
      '    </properties>',
      ...cases,
      `    <system-out>${text(out)}</system-out>`,
      '    <system-err></system-err>',
      '  </testsuite>',
    ].join('\n')
  })
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites>\n${suites.join('\n')}\n</testsuites>\n`
}

function label(objective: string): string {
  const named = /^([a-z][a-z0-9-]*): (rto|rpo)$/.exec(objective)
  if (named) return `${named[1]}: ${named[2]!.toUpperCase()}`
  return objective === 'rto' || objective === 'rpo' ? objective.toUpperCase() : objective
}

/** XML 1.0 allows tab, newline and carriage return among the control characters, nothing else. */
function clean(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, '')
}

function text(s: string): string {
  return clean(s).replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;')
}

function attr(s: string): string {
  return text(s).replaceAll('"', '&quot;').replaceAll('\n', '&#10;')
}
