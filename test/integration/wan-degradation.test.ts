import {readFileSync} from 'node:fs'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {DockerEngine} from '../../src/engine/docker.js'
import {LABEL} from '../../src/engine/labels.js'
import {networkName} from '../../src/model/topology.js'
import {firedrill, firedrillInterrupted} from '../support/cli.js'
import {labelled, NOTHING, testProject} from '../support/docker.js'
import {embeddedTopologyAs, tempDir} from '../support/files.js'
import {helpersLeft, netState} from '../support/net.js'

const LONG = {timeout: 480_000}

describe('wan-degradation on the real engine', () => {
  const project = testProject()
  const engine = new DockerEngine()
  const tmp = tempDir()
  let topology: string
  beforeAll(() => {
    topology = tmp.write(`${project}.yaml`, embeddedTopologyAs(project))
  })
  afterAll(async () => {
    await firedrill(['down', '--project', project], LONG)
    expect(await labelled(project)).toEqual(NOTHING)
    engine.close()
    tmp.cleanup()
  })

  /** Every container of the topology: no rule, chain or qdisc of firedrill's, on both its networks, no helper left. */
  async function expectNetworkClean(): Promise<void> {
    expect(await helpersLeft(engine, project)).toEqual([])
    const containers = await engine.listContainers([`${LABEL.project}=${project}`])
    expect(containers).toHaveLength(6)
    for (const c of containers) {
      const state = await netState(engine, project, c)
      expect(state.iptables, c.name).not.toMatch(/FIREDRILL|NFQUEUE/)
      expect(state.qdisc, c.name).not.toMatch(/ fd: /)
      expect(Object.keys(c.addresses).sort(), c.name).toEqual([networkName(project, c.labels[LABEL.site]), networkName(project, undefined)].sort())
    }
  }

  it('passes with writes unaffected, reports busan\'s lag exposure and the mechanism, and reverts cleanly (also on SIGTERM); a partition drill through the same runner', async () => {
    const r = await firedrill(['run', 'drills/wan-degradation.yaml', '--topology', topology, '--json', '--keep'], LONG)
    expect(r.stderr).toBe('')
    expect(r.exitCode).toBe(0)
    const result = JSON.parse(r.stdout.trim())
    const m = result.measurements
    console.log(
      `wan-degradation: verdict ${result.verdict}, RTO ${m.rto_ms} ms, RPO ${m.rpo_ms} ms, ${m.acked_writes} acknowledged, ${m.failed_writes} failed, ${m.indeterminate_writes} indeterminate; lag ${JSON.stringify(m.replication_lag)}; faults ${JSON.stringify(result.faults)}`,
    )
    expect(result).toMatchObject({drill: 'wan-degradation', verdict: 'pass', objectives: {rto_ms: 0, rpo_ms: 0}})
    // Unaffected: not one write failed, nothing lost.
    expect(m.rto_ms).toBe(0)
    expect(m.failed_writes).toBe(0)
    expect(m.indeterminate_writes).toBe(0)
    expect(m.lost_writes).toBe(0)
    expect(m.acked_writes).toBeGreaterThan(250)
    // busan's replay lag: about the added 200 ms while degraded, about nothing before and after.
    const [busan] = m.replication_lag
    expect(busan.standby).toBe('postgres-busan')
    expect(busan.baseline.median_ms).toBeLessThan(50)
    expect(busan.during_fault.median_ms).toBeGreaterThan(190)
    expect(busan.during_fault.max_ms).toBeGreaterThanOrEqual(busan.during_fault.median_ms)
    expect(busan.during_fault.samples).toBeGreaterThan(60)
    expect(busan.after_heal.median_ms).toBeLessThan(50)
    expect(result.faults).toEqual([expect.objectContaining({name: 'busan-wan', kind: 'degrade', mechanism: expect.stringMatching(/^(netem|nfqueue)$/)})])
    const done = result.timeline.find((e: {kind: string}) => e.kind === 'fault-done')
    expect(done.detail).toMatch(/mechanism (netem|nfqueue)/)
    expect(result.reverts).toEqual([expect.objectContaining({ok: true})])
    // Each delayer's own account on the timeline: how many packets it held, and for how long.
    const held = result.timeline.filter((e: {kind: string; detail: string}) => e.kind === 'revert' && /firedrill-delayer: \d+ packets delayed/.test(e.detail))
    console.log(`delayers: ${held.map((e: {detail: string}) => e.detail).join(' | ')}`)
    expect(held).toHaveLength(2)
    for (const e of held) expect(Number(/held min ([\d.]+) \/ mean/.exec(e.detail)![1])).toBeGreaterThanOrEqual(199.9)
    await expectNetworkClean()

    // SIGTERM while degraded: exit 143, and the link is restored all the same.
    const stopped = await firedrillInterrupted(['run', 'drills/wan-degradation.yaml', '--topology', topology, '--ci'], /Step 4\/6/, 'SIGTERM')
    expect(stopped.exitCode).toBe(143)
    expect(stopped.stderr).toMatch(/✔ Revert 1 fault\(s\)/)
    await expectNetworkClean()

    // A partition through the whole runner: seoul cut off from the other two sites (both ways) while it
    // serves; its Patroni loses the etcd quorum and demotes it, gyeonggi takes over; healed, seoul rejoins.
    const partition = tmp.write(
      'partition.yaml',
      `name: seoul-partitioned
objectives: {rto: 30s, rpo: 0s, split_brain: false}
probe: {kind: postgres-write, service: postgres, password: firedrill, interval: 100ms, timeout: 1s}
steps:
  - runbook: seoul serves before the drill
    argv: [bank-switchover, postgres-seoul, '90']
    in: {service: postgres, site: busan}
    timeout: 120s
  - wait: healthy
    timeout: 120s
  - sleep: 2s
  - fault: partition
    name: seoul-cut
    groups: [[seoul], [gyeonggi, busan]]
  - wait: recovered
    timeout: 60s
  - wait: role
    role: leader
    site: gyeonggi
    timeout: 30s
  - heal: [seoul-cut]
  - wait: role
    role: sync_standby
    site: seoul
    timeout: 90s
`,
    )
    const p = await firedrill(['run', partition, '--topology', topology, '--json'], LONG)
    expect(p.stderr).toBe('')
    const pr = JSON.parse(p.stdout.trim())
    console.log(`partition drill: verdict ${pr.verdict}, RTO ${pr.measurements.rto_ms} ms, RPO ${pr.measurements.rpo_ms} ms, split brain ${JSON.stringify(pr.measurements.split_brain?.periods)}; ${pr.faults[0]?.detail}`)
    // A gate that fails at random must say why: the Patroni side of the story (each node's own log
    // lines, not PostgreSQL's statement errors) from the evidence bundle, which stays in TEST_HOME.
    const patroniTail = (site: string) =>
      readFileSync(path.join(pr.evidence.dir, 'logs', `fd-${project}-postgres-${site}.log`), 'utf8')
        .split('\n')
        .filter((l) => / (INFO|WARNING|ERROR): /.test(l))
        .slice(-40)
        .join('\n')
    expect(p.exitCode, p.exitCode === 0 ? '' : `${JSON.stringify(pr.results)}\nbundle ${pr.evidence.dir}\nseoul:\n${patroniTail('seoul')}\ngyeonggi:\n${patroniTail('gyeonggi')}`).toBe(0)
    expect(pr.measurements.rto_ms).toBeGreaterThan(0)
    expect(pr.faults[0]).toMatchObject({kind: 'partition', name: 'seoul-cut', mechanism: null})
    expect(pr.faults[0].detail).toMatch(/iptables chain FIREDRILL-[0-9a-f]{6} on INPUT in 6 container\(s\)/)
    expect(pr.steps.map((s: {status: string}) => s.status)).toEqual(Array(8).fill('done'))
    await expectNetworkClean()

    const down = await firedrill(['down', '--topology', topology, '--json'], LONG)
    expect(down.exitCode).toBe(0)
    expect(await labelled(project)).toEqual(NOTHING)
  })
})
