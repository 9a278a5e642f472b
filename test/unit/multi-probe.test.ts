import {readFileSync} from 'node:fs'
import path from 'node:path'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'
import {parse, stringify} from 'yaml'

import {registerRoleReader} from '../../src/cluster/registry.js'
import {loadDrill} from '../../src/config/load-drill.js'
import {runDrill} from '../../src/drill/runner.js'
import {PACKAGE_ROOT} from '../../src/paths.js'
import {registerProbeKind} from '../../src/probes/registry.js'
import {RunOutput} from '../../src/report/run-output.js'
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
  })
})
