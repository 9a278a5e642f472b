import {describe, expect, it} from 'vitest'

import {renderHtml, timelineSvg} from '../../src/report/html.js'
import {renderJunit} from '../../src/report/junit.js'
import {renderMarkdown} from '../../src/report/markdown.js'
import {gradedLine} from '../../src/report/table.js'
import type {RunReport} from '../../src/report/run-report.js'
import {failingResult, fixtureResult} from '../support/evidence.js'

const report = (result = fixtureResult(), extra: Partial<RunReport> = {}): RunReport => ({
  result,
  environment: null,
  signature: {state: 'signed', keyid: 'ab'.repeat(32), detail: ''},
  ...extra,
})

describe('JUnit XML', () => {
  it('a testsuite per run, a testcase per objective, failure text giving measured against objective', () => {
    const xml = renderJunit([report(failingResult())])
    expect(xml).toMatch(/<testsuite package="firedrill" id="0" name="kill-primary" timestamp="\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d" hostname="localhost" tests="2" failures="1" errors="0"/)
    expect(xml).toContain('<testcase name="rpo" classname="firedrill.kill-primary" time="0"></testcase>')
    expect(xml).toMatch(/<failure message="RTO measured 7\.49 s ± 100 ms, objective 500 ms" type="objective-missed">RTO measured 7\.49 s ± 100 ms, objective 500 ms: recovered after 7\.49 s \(over 500 ms\)<\/failure>/)
  })
})

describe('the verdict line', () => {
  it('counts a write probe acknowledged and lost, a check probe (nothing to read back) ok and failed', () => {
    const write = fixtureResult()
    expect(gradedLine(write)).toMatch(/: PASS {2}RTO .*, \d+ acknowledged, 0 lost, \d+ indeterminate/)
    const check = {...write, probe: {...write.probe, kind: 'http'}, measurements: {...write.measurements, lost_writes: null, rpo_ms: null, acked_writes: 17, failed_writes: 3}}
    expect(gradedLine(check)).toMatch(/, 17 ok, 3 failed, \d+ indeterminate/)
    expect(gradedLine(check)).not.toContain('acknowledged')
    // A write probe whose read-back did not happen: the loss is unknown, and said so.
    const unread = {...write, measurements: {...write.measurements, lost_writes: null, rpo_ms: 1200}}
    expect(gradedLine(unread)).toContain('acknowledged, ? lost')
  })
})

describe('Markdown', () => {
  it('verdict, story, objectives table, figures, timeline, evidence status', () => {
    const md = renderMarkdown(report(failingResult(), {integrity: {ok: false, problems: ['modified: samples.csv']}}))
    expect(md).toMatch(/^# Drill kill-primary: FAIL$/m)
    expect(md).toContain('| rto | 500 ms | 7.49 s ± 100 ms | **FAIL** | recovered after 7.49 s (over 500 ms) |')
    expect(md).toContain('| rpo | 0 ms | 0 ms (0 lost) | PASS |')
    expect(md).toMatch(/- At 3\.06 s into the run the drill injected its fault: SIGKILL fd-.*-postgres-seoul\./)
    expect(md).toContain('- **INTEGRITY FAILED**: modified: samples.csv')
    expect(md).toMatch(/\| 3\.06 \| \d\d:\d\d:\d\d\.\d{3} \| fault \| SIGKILL/)
  })

  it('names the relay the runner reached the containers through, and what it added to each sample', () => {
    const route = {via: 'relay' as const, relay: 'fd-bank-3site-relay', host: '172.30.0.2', why: 'remote', connect_ms: 0.9, added_ms: 0.2, trials: 15}
    expect(renderMarkdown(report({...fixtureResult(), route}))).toContain(
      '- Reached through the relay `fd-bank-3site-relay` on 172.30.0.2: a connect through it 0.9 ms, the relay adds 0.2 ms per sample (medians of 15; in every ±)',
    )
    expect(renderMarkdown(report())).not.toContain('relay')
  })
})

describe('HTML', () => {
  it('is one self-contained file: no script, no external URL, inline CSS and SVG', () => {
    const html = renderHtml(report())
    expect(html).not.toMatch(/<script|<link|\bsrc=|url\(|@import/i)
    expect(html).not.toMatch(/https?:\/\/(?!www\.w3\.org\/2000\/svg)/)
    expect(html).toContain('<style>')
    expect(html).toContain('<svg')
  })

  it('the chart: sample runs coloured by outcome, fault and phase markers, the RTO bracket', () => {
    const r = fixtureResult()
    const svg = timelineSvg(r)
    const counts = [...svg.matchAll(/data-outcome="(\w+)" data-count="(\d+)"/g)].reduce<Record<string, number>>((acc, m) => ((acc[m[1]!] = (acc[m[1]!] ?? 0) + Number(m[2])), acc), {})
    expect(counts).toEqual({ok: r.measurements.acked_writes, failed: r.measurements.failed_writes})
    for (const kind of ['fault', 'first-failure', 'leader-change', 'recovered', 'revert']) expect(svg).toContain(`data-kind="${kind}"`)
    expect(svg).toMatch(/<g id="rto-bracket".*RTO 7\.49 s ± 100 ms/)
  })

  it('a service that never recovered shows an open bracket', () => {
    const r = fixtureResult()
    r.measurements = {...r.measurements, rto_ms: null}
    r.timeline = r.timeline.filter((e) => e.kind !== 'recovered')
    expect(timelineSvg(r)).toMatch(/class="bracket open".*never recovered/)
  })

  it('a service that never recovered: its not-recovered event is a marker, and the story and the table say why', () => {
    const r = fixtureResult()
    const why = 'probe api: still failing when the probe stopped (last at seq 90, failed: HTTP 503: {"error": "auth unavailable"}); 40 of 40 samples from the first failure on were not ok: 40 × failed: HTTP 503: {"error": "auth unavailable"}'
    r.measurements = {...r.measurements, rto_ms: null}
    r.timeline = [...r.timeline.filter((e) => e.kind !== 'recovered'), {t_ms: 9000, at: r.started_at, kind: 'not-recovered', detail: why}]
    r.results = r.results.map((o) => (o.objective === 'rto' ? {...o, measured_ms: null, measured: 'never recovered', met: false, reason: 'service never recovered during the drill: 40 of 40 samples from the first failure on: failed: HTTP 503: {"error": "auth unavailable"}'} : o))
    expect(timelineSvg(r)).toContain('data-kind="not-recovered"')
    const md = renderMarkdown(report(r))
    expect(md).toContain(`- Service never recovered before the probe stopped: ${why}.`)
    expect(md).toMatch(/\| rto \| [^|]+ \| never recovered \| \*\*FAIL\*\* \| service never recovered during the drill: 40 of 40 samples from the first failure on: failed: HTTP 503: \{"error": "auth unavailable"\} \|/)
    expect(renderHtml(report(r))).toContain('service never recovered during the drill: 40 of 40 samples from the first failure on: failed: HTTP 503: {&quot;error&quot;: &quot;auth unavailable&quot;}')
  })

  it('says loudly when the bundle failed verification or is unsigned', () => {
    const html = renderHtml(report(fixtureResult(), {integrity: {ok: false, problems: ['missing: logs/x.log']}, signature: {state: 'unsigned', keyid: null, detail: ''}}))
    expect(html).toMatch(/id="integrity-alert"><b>This evidence bundle failed verification\.<\/b> missing: logs\/x\.log/)
    expect(html).toMatch(/id="signature-status">UNSIGNED/)
  })

  it('escapes everything that came from the run', () => {
    const r = fixtureResult()
    r.timeline = [...r.timeline, {t_ms: 1, at: r.started_at, kind: 'runbook', detail: '<img src=x onerror=alert(1)>'}]
    const html = renderHtml(report(r))
    expect(html).not.toContain('<img')
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;')
  })
})
