import {readdirSync, readFileSync} from 'node:fs'
import path from 'node:path'

import {afterEach, beforeEach, describe, expect, it, vi} from 'vitest'
import {parse, stringify} from 'yaml'

import {registerRoleReader} from '../../src/cluster/registry.js'
import {loadDrill, type LoadedDrill} from '../../src/config/load-drill.js'
import {Journal} from '../../src/drill/journal.js'
import {runDrill} from '../../src/drill/runner.js'
import {evidenceForRun} from '../../src/evidence/run-evidence.js'
import type {DrillResult} from '../../src/model/result.js'
import {PACKAGE_ROOT} from '../../src/paths.js'
import {registerProbeKind} from '../../src/probes/registry.js'
import {RunOutput} from '../../src/report/run-output.js'
import {fakeEvidenceEngine} from '../support/evidence.js'
import {FakeClock} from '../support/fake-clock.js'
import {fakeWriteKind, FakeCluster} from '../support/fake-cluster.js'
import {tempDir} from '../support/files.js'
import type {Progress} from '../../src/util/progress.js'

// The shipped kill-primary drill (its objectives and steps as written), run with no Docker, no
// database and no real time: an engine, a cluster manager and a write probe in memory, on a fake
// clock. Only the probe block differs: the test's own probe kind stands in for postgres-write.
const FAILOVER_MS = 5000

let tmp: ReturnType<typeof tempDir>
const undo: (() => void)[] = []
beforeEach(() => {
  tmp = tempDir()
})
afterEach(() => {
  while (undo.length > 0) undo.pop()!()
  tmp.cleanup()
})

function killPrimary(edit: (drill: Record<string, unknown>) => void = () => {}): LoadedDrill {
  const drill = parse(readFileSync(path.join(PACKAGE_ROOT, 'drills', 'kill-primary.yaml'), 'utf8')) as Record<string, unknown>
  edit(drill)
  drill.topology = path.join(PACKAGE_ROOT, 'fixtures', 'topologies', 'bank-3site', 'topology.yaml')
  drill.probe = {kind: 'fake-write', service: 'postgres', interval: '100ms', timeout: '1s', stable_samples: 3, vantage: 'wan'}
  return loadDrill(tmp.write('kill-primary.yaml', stringify(drill)))
}

async function runWithFakes(
  edit?: (drill: Record<string, unknown>) => void,
  opts: {restartAsPrimary?: boolean; noFailover?: string[]; progress?: Progress} = {},
): Promise<{result: DrillResult; loaded: LoadedDrill; cluster: FakeCluster; tookMs: number}> {
  const started = performance.now()
  const clock = new FakeClock()
  let cluster: FakeCluster | undefined
  // Registered before the drill is loaded: validation knows the kind from then on.
  undo.push(registerProbeKind(fakeWriteKind(() => cluster!)))
  const loaded = killPrimary(edit)
  const {progress, ...clusterOpts} = opts
  cluster = new FakeCluster(loaded.topology, clock, {service: 'postgres', failoverMs: FAILOVER_MS, noFailover: ['busan'], ...clusterOpts})
  undo.push(registerRoleReader('patroni', cluster.roleReader()))
  const result = await runDrill(loaded, {engine: cluster.engine(), engineInfo: {version: '20.10', apiVersion: '1.41', os: 'linux'}, runId: '20261201T090000Z-fa4e01', clock, journalDir: tmp.dir, progress})
  return {result, loaded, cluster, tookMs: performance.now() - started}
}

/** Every key path of a JSON value; array elements share their array's path with []. */
function keyPaths(value: unknown, prefix = '', out = new Set<string>()): Set<string> {
  if (Array.isArray(value)) for (const v of value) keyPaths(v, `${prefix}[]`, out)
  else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      const p = prefix ? `${prefix}.${k}` : k
      out.add(p)
      keyPaths(v, p, out)
    }
  }
  return out
}

describe('kill-primary end to end with fakes and a fake clock', () => {
  it('kills the leader, sees the failover and the recovery, reverts, reads back, and passes: in well under a second', async () => {
    const {result, cluster, tookMs} = await runWithFakes()
    expect(tookMs).toBeLessThan(1000)
    expect(result).toMatchObject({drill: 'kill-primary', topology: 'bank-3site', status: 'completed', verdict: 'pass', error: null})
    // role: leader picked seoul's container; the revert started it again.
    expect(cluster.calls).toEqual(['kill fd-bank-3site-postgres-seoul SIGKILL', 'start fd-bank-3site-postgres-seoul'])
    expect(result.reverts).toEqual([{description: expect.stringMatching(/fd-bank-3site-postgres-seoul/), ok: true}])
    expect(result.steps.map((s) => s.status)).toEqual(['done', 'done', 'done', 'done'])
    const m = result.measurements
    // The manager promotes gyeonggi 5 s after the kill; the first sample after that is the recovery.
    expect(m.rto_ms).toBeGreaterThanOrEqual(FAILOVER_MS)
    expect(m.rto_ms).toBeLessThanOrEqual(FAILOVER_MS + 100)
    expect(m.impact_ms).toBeLessThan(100)
    expect(m).toMatchObject({lost_writes: 0, rpo_ms: 0, resolution_ms: 100})
    expect(m.acked_writes).toBeGreaterThan(30)
    const kinds = result.timeline.map((e) => e.kind)
    for (const kind of ['fault', 'first-failure', 'leader-change', 'recovered', 'read-back', 'revert']) expect(kinds).toContain(kind)
    expect(result.timeline.find((e) => e.kind === 'fault')?.detail).toMatch(/^SIGKILL fd-bank-3site-postgres-seoul/)
    expect(result.timeline.find((e) => e.kind === 'leader-change')?.detail).toMatch(/postgres-gyeonggi/)
    expect(result.probe).toMatchObject({kind: 'fake-write', service: 'postgres', interval_ms: 100})
  })

  it('run --json prints the same keys for kill-primary as before issue 11 (snapshot of a real run)', async () => {
    const {result, loaded} = await runWithFakes()
    const evidence = evidenceForRun([loaded], {out: path.join(tmp.dir, 'bundle'), store: path.join(tmp.dir, 'history.sqlite'), reporters: []})
    const rec = await evidence.record(result, loaded, fakeEvidenceEngine())
    const [json] = new RunOutput([{drill: result.drill, runs: [result], verdict: result.verdict}], () => rec).getJson()
    const snapshot = JSON.parse(readFileSync(path.join(PACKAGE_ROOT, 'test', 'fixtures', 'run-json', 'kill-primary-keys.json'), 'utf8')) as {keys: string[]; added: {keys: string[]}}
    // Keys are only ever added (issue 12: every probe under probes[]), never renamed or dropped.
    expect([...keyPaths(json)].sort()).toEqual([...snapshot.keys, ...snapshot.added.keys].sort())
  })

  it('a drill that ends with two nodes accepting writes says so in its verdict, with no split-brain objective', async () => {
    // No cluster manager: the killed primary, started again by the revert, comes back writable beside the promoted one.
    const {result, loaded} = await runWithFakes(undefined, {restartAsPrimary: true})
    expect(loaded.drill.objectives.splitBrain).toBeUndefined()
    expect(result.verdict).toBe('fail')
    const row = result.results.find((r) => r.objective === 'one writable node at the end')
    expect(row).toMatchObject({met: false, measured: '2 nodes accept writes'})
    expect(row!.reason).toMatch(/^postgres-gyeonggi and postgres-seoul both accept writes at the end of the drill/)
    expect(result.timeline.some((e) => e.kind === 'split-brain' && e.detail.includes('2 nodes accept writes at the end of the drill'))).toBe(true)
    // The other objectives are graded as usual.
    expect(result.results.filter((r) => r.objective !== 'one writable node at the end').every((r) => r.met)).toBe(true)
  })

  it('a wait not met in time is a failed step on the progress, never a done one', async () => {
    const shown: string[] = []
    const progress: Progress = {
      phase: async (title, fn) => {
        try {
          const value = await fn(() => {})
          shown.push(`✔ ${title}`)
          return value
        } catch (error) {
          shown.push(`✖ ${title}`)
          throw error
        }
      },
      log: (message) => shown.push(message),
    }
    const {result} = await runWithFakes(undefined, {noFailover: ['seoul', 'gyeonggi', 'busan'], progress})
    const wait = shown.filter((line) => / wait until recovered/.test(line))
    expect(wait[0]).toMatch(/^✖ Step 3\/4: wait until recovered/)
    expect(wait.slice(1)).toEqual([expect.stringMatching(/^ {2}Step 3\/4: .*not met in time; the remaining steps are skipped/)])
    expect(result.steps[2]!.status).toBe('timed-out')
  })

  it('one writable node at the end adds no row', async () => {
    const {result} = await runWithFakes()
    expect(result.results.map((r) => r.objective)).not.toContain('one writable node at the end')
  })
})

describe('a fault left as it made it, on purpose (revert: false)', () => {
  it('the killed primary stays down: no start, the timeline and the result say so, the run does not wait for it, cleanup has nothing to undo', async () => {
    const intend = vi.spyOn(Journal.prototype, 'intend')
    const {result, cluster} = await runWithFakes((drill) => {
      const steps = drill.steps as Record<string, unknown>[]
      steps[1] = {...steps[1], revert: false}
    })
    // Nothing was journalled for it, so a cleanup after a crash would have nothing to restart.
    expect(intend).not.toHaveBeenCalled()
    intend.mockRestore()
    expect(cluster.calls).toEqual(['kill fd-bank-3site-postgres-seoul SIGKILL'])
    expect(result).toMatchObject({status: 'completed', verdict: 'pass', error: null, reverts: []})
    const left = result.timeline.filter((e) => /on purpose/.test(e.detail))
    expect(left).toEqual([expect.objectContaining({kind: 'fault-done', detail: expect.stringMatching(/^kill-2: left as the fault made it, on purpose \(revert: false\): "start fd-bank-3site-postgres-seoul" is not done/)})])
    expect(result.faults[0]!.detail).toMatch(/left as the fault made it, on purpose/)
    // Healthy again without seoul: nothing "not healthy", and the read-back came from the new primary.
    expect(result.timeline.filter((e) => e.kind === 'revert-failed')).toEqual([])
    expect(result.measurements).toMatchObject({lost_writes: 0, rpo_ms: 0})
    expect(readdirSync(tmp.dir).filter((f) => f.endsWith('.json'))).toEqual([])
  })
})
