import {readFileSync} from 'node:fs'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {freezeDrill, lossDrill, lossTopology} from '../../bench/lib/drills.js'
import {DockerEngine} from '../../src/engine/docker.js'
import {firedrill} from '../support/cli.js'
import {labelled, NOTHING, testProject} from '../support/docker.js'
import {embeddedTopologyAs, tempDir} from '../support/files.js'

// The accuracy benchmarks (bench/rto-accuracy.js, bench/rpo-accuracy.js) as regression tests:
// the same drills with a known outcome, checked for counts and order, never for how fast.

const LONG = {timeout: 480_000}
interface Event {
  t_ms: number
  kind: string
  detail: string
}
let tmp: ReturnType<typeof tempDir>
let engine: DockerEngine
beforeAll(() => {
  tmp = tempDir()
  engine = new DockerEngine()
})
afterAll(() => {
  tmp.cleanup()
  engine.close()
})

async function patronictl(project: string, ...args: string[]): Promise<void> {
  const leader = (await firedrill(['status', '--topology', path.join(tmp.dir, `${project}.yaml`), '--json'])).stdout
  const container = JSON.parse(leader).instances.find((i: {service: string; role: string}) => i.service === 'postgres' && i.role === 'leader').container
  const r = await engine.exec(container, ['patronictl', ...args])
  expect(r.exitCode, r.stderr).toBe(0)
}

function samplesOf(dir: string): Map<number, {start: number; end: number; outcome: string}> {
  const lines = readFileSync(path.join(dir, 'samples.csv'), 'utf8').trim().split('\n').slice(1)
  return new Map(lines.map((l) => l.split(',')).map(([seq, start, end, outcome]) => [Number(seq), {start: Number(start), end: Number(end), outcome: outcome!}]))
}

describe('RTO against a known outage: the primary frozen for 2 s, Patroni in maintenance mode', () => {
  const project = testProject()
  let topology: string
  beforeAll(async () => {
    topology = tmp.write(`${project}.yaml`, embeddedTopologyAs(project))
    const up = await firedrill(['up', '--topology', topology, '--json'], LONG)
    expect(up.exitCode, up.stderr).toBe(0)
    await patronictl(project, 'pause', '--wait')
  })
  afterAll(async () => {
    await firedrill(['down', '--project', project], LONG)
    expect(await labelled(project)).toEqual(NOTHING)
  })

  it('the outage is seen, no failover, nothing lost, and recovery is not placed before the thaw (less one interval)', async () => {
    const drill = tmp.write('freeze.yaml', freezeDrill({topology, outageS: 2, intervalMs: 100}))
    const r = await firedrill(['run', drill, '--keep', '--json'], LONG)
    expect(r.stderr).toBe('')
    expect(r.exitCode).toBe(0)
    const result = JSON.parse(r.stdout)
    const m = result.measurements
    expect(m.lost_writes).toBe(0)
    expect(m.rto_ms).not.toBeNull()
    expect(m.failed_writes + m.indeterminate_writes).toBeGreaterThan(0)
    const ev = (kind: string, re = /./) => (result.timeline as Event[]).find((e) => e.kind === kind && re.test(e.detail))
    const kinds = (result.timeline as Event[]).map((e) => e.kind)
    expect(kinds).not.toContain('leader-change')
    const fault = ev('fault')!
    const frozen = ev('fault-done')!
    const heal = ev('step', /: heal freeze$/)!
    const thawed = ev('revert', /^heal: unpause/)!
    expect(fault.t_ms).toBeLessThanOrEqual(frozen.t_ms)
    expect(frozen.t_ms).toBeLessThan(heal.t_ms)
    expect(heal.t_ms).toBeLessThanOrEqual(thawed.t_ms)
    // The first write of the stable run cannot have started before the thaw, save one waiting for a writable node.
    expect(fault.t_ms + m.rto_ms).toBeGreaterThanOrEqual(heal.t_ms - result.probe.interval_ms)
    await patronictl(project, 'resume', '--wait')
  })
})

describe('RPO against a known loss: exactly M acknowledged writes lost', () => {
  const project = testProject()
  let topology: string
  beforeAll(async () => {
    topology = tmp.write(`${project}.yaml`, lossTopology(embeddedTopologyAs(project)))
    const up = await firedrill(['up', '--topology', topology, '--json'], LONG)
    expect(up.exitCode, up.stderr).toBe(0)
    await patronictl(project, 'edit-config', '--force', '-s', 'synchronous_mode=false')
  })
  afterAll(async () => {
    await firedrill(['down', '--project', project], LONG)
    expect(await labelled(project)).toEqual(NOTHING)
  })

  it.each([1, 10])('M = %i: reported lost is M consecutive writes, RPO counted from the first one acknowledged', async (lost) => {
    const drill = tmp.write(`lose-${lost}.yaml`, lossDrill({topology, lost}))
    const r = await firedrill(['run', drill, '--keep', '--json'], LONG)
    expect(r.stderr).toBe('')
    // rpo: 0s is missed, as it must be
    expect(r.exitCode).toBe(1)
    const result = JSON.parse(r.stdout)
    const m = result.measurements
    expect(m.lost_writes).toBe(lost)
    expect(m.lost_seqs).toHaveLength(lost)
    expect(m.lost_seqs).toEqual(Array.from({length: lost}, (_, i) => m.lost_seqs[0] + i))
    expect(m.indeterminate_present).toBe(0)
    const samples = samplesOf(result.evidence.dir)
    for (const seq of m.lost_seqs) expect(samples.get(seq)!.outcome).toBe('ok')
    const fault = (result.timeline as Event[]).find((e) => e.kind === 'fault')!
    expect(m.rpo_ms).toBeCloseTo(fault.t_ms - samples.get(m.lost_seqs[0])!.end, 1)
    expect(result.results.find((x: {objective: string}) => x.objective === 'rpo')).toMatchObject({met: false})
  })
})
