import {readFileSync} from 'node:fs'
import path from 'node:path'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'
import {parse, stringify} from 'yaml'

import {registerRoleReader} from '../../src/cluster/registry.js'
import {gradeRepeat} from '../../src/grade/repeat.js'
import {HistoryStore} from '../../src/history/store.js'
import {perProbe, withTrend} from '../../src/history/trend.js'
import {loadDrill} from '../../src/config/load-drill.js'
import {runDrill} from '../../src/drill/runner.js'
import {PACKAGE_ROOT} from '../../src/paths.js'
import {registerProbeKind} from '../../src/probes/registry.js'
import {catalogueRows, rowObjectives} from '../../src/report/catalogue.js'
import {renderHtml} from '../../src/report/html.js'
import {renderJunit} from '../../src/report/junit.js'
import {renderMarkdown} from '../../src/report/markdown.js'
import {RunOutput} from '../../src/report/run-output.js'
import {drillSummary, verdictTable} from '../../src/report/table.js'
import {issuesOf} from '../support/config.js'
import {FakeClock} from '../support/fake-clock.js'
import {fakeWriteKind, FakeCluster} from '../support/fake-cluster.js'
import {tempDir} from '../support/files.js'

// Several named probes in one drill: validated one by one, run on one clock and one t_fault, each
// measured and graded against its own objectives; the drill passes only when every probe does.
const FAILOVER_MS = 5000
const TOPOLOGY = path.join(PACKAGE_ROOT, 'fixtures', 'topologies', 'bank-3site', 'topology.yaml')

let tmp: ReturnType<typeof tempDir>
const undo: (() => void)[] = []
beforeEach(() => {
  tmp = tempDir()
})
afterEach(() => {
  while (undo.length > 0) undo.pop()!()
  tmp.cleanup()
})

const noCluster = (): FakeCluster => {
  throw new Error('not run here')
}

const drillText = (probes: string, objectives: string) => `name: two-probes
topology: ${TOPOLOGY}
probes:
${probes}
objectives:
${objectives}
steps:
  - sleep: 1s
  - fault: kill
    target: {service: postgres, role: leader}
  - wait: recovered
    timeout: 60s
`

describe('several probes per drill: validation', () => {
  beforeEach(() => {
    undo.push(registerProbeKind(fakeWriteKind(noCluster, 'fake-write')))
    undo.push(registerProbeKind(fakeWriteKind(noCluster, 'checks-only', {rpo: false, splitBrain: false, replicationLag: false})))
  })
  const load = (text: string) => loadDrill(tmp.write('drill.yaml', text))

  it('named probes load in the order written, each with its own objectives; one without any is measured, not graded', () => {
    const loaded = load(
      drillText('  api: {kind: checks-only, service: postgres, interval: 200ms}\n  ledger: {kind: fake-write, service: postgres}\n  extra: {kind: checks-only, service: etcd}', '  api: {rto: 60s}\n  ledger: {rto: 30s, rpo: 0s}'),
    )
    expect(loaded.drill.named).toBe(true)
    expect(loaded.drill.probes.map((p) => [p.name, p.spec.kind, p.spec.interval, p.objectives])).toEqual([
      ['api', 'checks-only', 200, {rtoMs: 60_000, rpoMs: undefined, splitBrain: undefined}],
      ['ledger', 'fake-write', 100, {rtoMs: 30_000, rpoMs: 0, splitBrain: undefined}],
      ['extra', 'checks-only', 100, {rtoMs: undefined, rpoMs: undefined, splitBrain: undefined}],
    ])
    // The first probe is also the drill's `probe` and `objectives`, as for a one-probe drill.
    expect(loaded.drill.probe.kind).toBe('checks-only')
    expect(loaded.drill.objectives.rtoMs).toBe(60_000)
    // drills list and plan show each probe's objectives.
    const [row] = catalogueRows([loaded])
    expect(row?.probes?.map((p) => p.name)).toEqual(['api', 'ledger', 'extra'])
    expect(rowObjectives(row!)).toBe('api: RTO 60.00 s; ledger: RTO 30.00 s, RPO 0 ms; extra: measured only')
  })

  it('an objective its probe cannot measure is refused at its line, naming the probe, its kind and the kinds that can', () => {
    const issues = issuesOf(() => load(drillText('  api: {kind: checks-only, service: postgres}\n  ledger: {kind: fake-write, service: postgres}', '  api: {rto: 60s, rpo: 0s}\n  ledger: {rpo: 0s}')))
    expect(issues).toEqual([
      expect.objectContaining({
        field: 'objectives.api.rpo',
        line: 7,
        message: expect.stringMatching(/^probe api \(kind checks-only\) cannot read its writes back, so it cannot measure rpo; kinds that can: .*fake-write/),
      }),
    ])
  })

  it('refuses probe: with probes:, objectives for a probe that does not exist, a missing service, and no objective at all', () => {
    const both = drillText('  api: {kind: checks-only, service: postgres}', '  api: {rto: 60s}').replace('probes:', 'probe: {kind: checks-only, service: postgres}\nprobes:')
    expect(issuesOf(() => load(both))).toEqual([expect.objectContaining({field: 'probe', message: 'write either probe: (one probe) or probes: (several, named), not both'})])
    expect(issuesOf(() => load(drillText('  api: {kind: checks-only, service: postgres}', '  api: {rto: 60s}\n  ledgr: {rpo: 0s}')))).toEqual([
      expect.objectContaining({field: 'objectives.ledgr', line: 7, message: 'no probe named "ledgr" (probes: api)'}),
    ])
    expect(issuesOf(() => load(drillText('  api: {kind: checks-only, service: gateway}', '  api: {rto: 60s}')))).toEqual([
      expect.objectContaining({field: 'probes.api.service', line: 4, message: expect.stringMatching(/^service "gateway" is not in topology bank-3site/)}),
    ])
    expect(issuesOf(() => load(drillText('  api: {kind: checks-only, service: postgres}', '  api: {}')))).toEqual([
      expect.objectContaining({field: 'objectives.api', message: 'declare at least one objective (rto, rpo, split_brain)'}),
    ])
    expect(issuesOf(() => load(drillText('  API: {kind: checks-only, service: postgres}', '  API: {rto: 1s}')))).toContainEqual(expect.objectContaining({field: 'probes.API', line: 4}))
  })

  it('the one-probe shorthand is unchanged: one probe named probe, the drill objectives its own', () => {
    const drill = parse(readFileSync(path.join(PACKAGE_ROOT, 'drills', 'kill-primary.yaml'), 'utf8')) as Record<string, unknown>
    drill.topology = TOPOLOGY
    const loaded = load(stringify(drill))
    expect(loaded.drill.named).toBe(false)
    expect(loaded.drill.probes).toEqual([{name: 'probe', spec: loaded.drill.probe, objectives: loaded.drill.objectives}])
  })
})

describe('the built-in check kinds in a drill', () => {
  const load = (text: string) => loadDrill(tmp.write('drill.yaml', text))
  it('rpo on a tcp or a plain http probe is refused naming the probe, its kind and the kinds that can; http with write + read may have one', () => {
    const issues = issuesOf(() =>
      load(drillText('  db: {kind: tcp, service: postgres, port: 5432}\n  api: {kind: http, service: postgres, port: 8008, path: /health}', '  db: {rto: 30s, rpo: 0s}\n  api: {rpo: 1s}')),
    )
    expect(issues.map((i) => [i.field, i.message])).toEqual([
      ['objectives.db.rpo', 'probe db (kind tcp) cannot read its writes back, so it cannot measure rpo; kinds that can: postgres-write, mysql-write, redis-write, http (with write and read)'],
      ['objectives.api.rpo', 'probe api (kind http) cannot read its writes back, so it cannot measure rpo; kinds that can: postgres-write, mysql-write, redis-write, http (with write and read)'],
    ])
    const ok = load(
      drillText("  api: {kind: http, service: postgres, port: 8008, write: {path: '/m', body: '{\"seq\": ${seq}}'}, read: {path: '/m/${seq}'}}", '  api: {rto: 30s, rpo: 0s}'),
    )
    expect(ok.drill.probes[0]?.objectives).toMatchObject({rpoMs: 0})
  })

  it('a failover order naming a site without the service, a command with a shell string or no place to run: refused at their lines', () => {
    const issues = issuesOf(() =>
      load(
        drillText(
          "  db: {kind: tcp, service: postgres, port: 5432, order: [seoul, jeju]}\n  ready: {kind: command, service: postgres, argv: 'pg_isready -q'}\n  again: {kind: command, service: postgres, argv: [pg_isready]}",
          '  db: {rto: 30s}',
        ),
      ),
    )
    expect(issues.map((i) => [i.field, i.line, i.message])).toEqual([
      ['probes.ready.argv', 5, 'argv must be a list of arguments (argv), not a shell string'],
    ])
    const second = issuesOf(() =>
      load(drillText('  db: {kind: tcp, service: postgres, port: 5432, order: [seoul, jeju]}\n  again: {kind: command, service: postgres, argv: [pg_isready]}', '  db: {rto: 30s}')),
    )
    expect(second.map((i) => [i.field, i.line, i.message])).toEqual([
      ['probes.db.order[1]', 4, 'no postgres instance on site "jeju" in topology bank-3site'],
      ['probes.again.in', 5, 'service postgres has several instances: say where the command runs (in: host, or a target such as {service: postgres, role: leader})'],
    ])
  })
})

describe('several probes per drill: a run', () => {
  it('two probes on one clock and one t_fault, each graded against its own objectives; the drill fails when one misses', async () => {
    const clock = new FakeClock()
    let cluster: FakeCluster | undefined
    undo.push(registerProbeKind(fakeWriteKind(() => cluster!, 'fake-write')))
    undo.push(registerProbeKind(fakeWriteKind(() => cluster!, 'fake-check', {rpo: false, splitBrain: false, replicationLag: false})))
    const loaded = loadDrill(
      tmp.write(
        'drill.yaml',
        drillText('  api: {kind: fake-check, service: postgres, interval: 200ms}\n  ledger: {kind: fake-write, service: postgres}', '  api: {rto: 2s}\n  ledger: {rto: 30s, rpo: 0s}'),
      ),
    )
    cluster = new FakeCluster(loaded.topology, clock, {service: 'postgres', failoverMs: FAILOVER_MS, noFailover: ['busan']})
    undo.push(registerRoleReader('patroni', cluster.roleReader()))
    const result = await runDrill(loaded, {engine: cluster.engine(), engineInfo: {version: '20.10', apiVersion: '1.41', os: 'linux'}, runId: '20261201T090000Z-fa4e02', clock, journalDir: tmp.dir})
    expect(result.status).toBe('completed')
    const [api, ledger] = result.probes ?? []
    expect(api).toMatchObject({name: 'api', probe: {kind: 'fake-check', interval_ms: 200}, objectives: {rto_ms: 2000, rpo_ms: null}, verdict: 'fail'})
    expect(ledger).toMatchObject({name: 'ledger', probe: {kind: 'fake-write', interval_ms: 100}, objectives: {rto_ms: 30_000, rpo_ms: 0}, verdict: 'pass'})
    // Both saw the same failover from the same t_fault: recovery within one interval of the promotion.
    for (const p of [api!, ledger!]) {
      expect(p.measurements.rto_ms).toBeGreaterThanOrEqual(FAILOVER_MS)
      expect(p.measurements.rto_ms).toBeLessThanOrEqual(FAILOVER_MS + p.probe.interval_ms)
    }
    // A check probe measures no loss; the write probe read its writes back.
    expect(api!.measurements.lost_writes).toBeNull()
    expect(ledger!.measurements).toMatchObject({lost_writes: 0, rpo_ms: 0})
    expect(result.results.map((r) => [r.objective, r.probe, r.met])).toEqual([
      ['api: rto', 'api', false],
      ['ledger: rto', 'ledger', true],
      ['ledger: rpo', 'ledger', true],
    ])
    expect(result.verdict).toBe('fail')
    // The top level is the first probe's, as for one probe; the timeline names each probe.
    expect(result.probe.kind).toBe('fake-check')
    expect(result.measurements).toEqual(api!.measurements)
    expect(result.samples).toEqual(api!.samples)
    expect(result.timeline.filter((e) => e.kind === 'probe-start').map((e) => e.detail)).toEqual([expect.stringMatching(/^probe api: fake-check/), expect.stringMatching(/^probe ledger: fake-write/)])
    // --json keeps every probe, without samples.
    const [json] = new RunOutput([{drill: result.drill, runs: [result], verdict: result.verdict}], () => undefined).getJson() as unknown as [{runs?: {probes: object[]}[]} & {probes?: object[]}]
    const probesJson = json.probes ?? json.runs?.[0]?.probes
    expect(probesJson).toHaveLength(2)
    for (const p of probesJson!) expect(p).not.toHaveProperty('samples')

    // Every output carries every probe.
    const report = {result, environment: null, signature: {state: 'unsigned' as const, keyid: null, detail: 'not signed'}}
    const table = verdictTable([{drill: result.drill, runs: [result], verdict: result.verdict}])
    expect(table).toMatch(/api: RTO .*FAIL/)
    expect(table).toMatch(/ledger: RPO .*PASS/)
    expect(drillSummary({drill: result.drill, runs: [result], verdict: result.verdict})).toMatch(/probe api \(fake-check on postgres, \d+ samples\): FAIL, RTO 5\.\d+ s/)
    const junit = renderJunit([report])
    expect([...junit.matchAll(/<testcase name="([^"]+)"/g)].map((m) => m[1])).toEqual(['api: rto', 'ledger: rto', 'ledger: rpo'])
    expect(junit).toContain('<property name="probe.ledger" value="fake-write on postgres from the wan, every 100 ms"/>')
    expect(renderMarkdown(report)).toMatch(/- Probe ledger \(fake-write on postgres, \d+ samples\): PASS, RTO 5\.\d+ s ± 100 ms, impact after \d+ ms, RPO 0 ms, \d+ acknowledged, 0 lost/)
    const html = renderHtml(report)
    expect([...html.matchAll(/<g class="probe-lane" data-probe="([^"]+)">/g)].map((m) => m[1])).toEqual(['api', 'ledger'])
  })
})

describe('several probes per drill: --repeat', () => {
  it('statistics per probe, and a named probe objective graded on its own figures', () => {
    const res = (objective: string, ms: number, target: number) => ({objective, probe: objective.split(':')[0], target_ms: target, measured_ms: ms, target: `${target}`, measured: `${ms}`, met: ms <= target, reason: 'r'})
    const run = (api: number, ledger: number) => ({
      results: [res('api: rto', api, 2000), res('ledger: rto', ledger, 30_000)],
      measurements: {rto_ms: api, rpo_ms: null, lost_writes: null},
      probes: [
        {name: 'api', measurements: {rto_ms: api, rpo_ms: null, lost_writes: null}},
        {name: 'ledger', measurements: {rto_ms: ledger, rpo_ms: 0, lost_writes: 0}},
      ],
    })
    const g = gradeRepeat([run(1000, 5000), run(3000, 6000), run(1500, 7000)], 'worst')
    expect(g.probe_statistics?.ledger?.rto_ms).toEqual({runs: 3, min: 5000, median: 6000, p95: 7000, max: 7000})
    expect(g.probe_statistics?.api?.rto_ms).toMatchObject({min: 1000, max: 3000})
    expect(g.results.map((r) => [r.objective, r.met, r.measured])).toEqual([
      ['api: rto', false, 'worst 3.00 s; 1.00 s / 1.50 s / 3.00 s / 3.00 s (min/median/p95/max)'],
      ['ledger: rto', true, 'worst 7.00 s; 5.00 s / 6.00 s / 7.00 s / 7.00 s (min/median/p95/max)'],
    ])
    expect(g.verdict).toBe('fail')
  })
})

describe('several probes per drill: history and the RTO trend', () => {
  it('a run with several probes is recorded with each probe\'s figures and trended per probe', () => {
    const store = HistoryStore.open(':memory:')
    try {
      const base = {drill: 'two', drill_file: '/d.yaml', topology: 't', duration_ms: 1000, results: [], status: 'completed' as const}
      const m = (rto: number) => ({rto_ms: rto, rpo_ms: 0, lost_writes: 0, resolution_ms: 100, impact_ms: 0, indeterminate_writes: 0, indeterminate_present: 0, acked_writes: 10, failed_writes: 1, lost_seqs: [], split_brain: null, replication_lag: null})
      const probe = (name: string, rto: number) => ({name, probe: {kind: 'k', service: 's', interval_ms: 100, timeout_ms: 1000, stable_samples: 3, vantage: 'wan', samples: 10}, objectives: {rto_ms: null, rpo_ms: null, split_brain: null}, verdict: 'pass' as const, results: [], measurements: m(rto)})
      for (const [i, api] of [1000, 1100, 1000, 1050, 1000, 9000].entries()) {
        store.recordRun({...base, run_id: `r${i}`, verdict: 'pass', started_at: `2026-12-0${i + 1}T00:00:00Z`, finished_at: `2026-12-0${i + 1}T00:00:01Z`, measurements: m(api), probes: [probe('api', api), probe('ledger', 5000)]})
      }
      const runs = store.runs()
      expect(runs[0]!.probes?.map((p) => [p.name, p.rto_ms])).toEqual([
        ['api', 1000],
        ['ledger', 5000],
      ])
      const rows = withTrend(perProbe(runs))
      expect(rows.filter((r) => r.regression).map((r) => [r.drill, r.run_id])).toEqual([['two: api', 'r5']])
      expect(rows.filter((r) => r.drill === 'two: ledger')).toHaveLength(6)
    } finally {
      store.close()
    }
  })
})
