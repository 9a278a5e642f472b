import {readFileSync} from 'node:fs'
import net from 'node:net'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {DockerEngine} from '../../src/engine/docker.js'
import {firedrill, firedrillInterrupted} from '../support/cli.js'
import {labelled, NOTHING, testProject} from '../support/docker.js'
import {embeddedTopologyAs, MINIMAL_DRILL, tempDir} from '../support/files.js'

const LONG = {timeout: 480_000}
let tmp: ReturnType<typeof tempDir>
beforeAll(() => {
  tmp = tempDir()
})
afterAll(async () => {
  tmp.cleanup()
})

describe('kill-primary on the real engine', () => {
  const project = testProject()
  let topology: string
  beforeAll(() => {
    topology = tmp.write(`${project}.yaml`, embeddedTopologyAs(project))
  })
  afterAll(async () => {
    await firedrill(['down', '--project', project], LONG)
  })

  // One bring-up serves the whole story (about 30 s less than a run of its own for the first part): that a
  // run tears down what it brought up is held by installed.test.ts and shipped-drills.test.ts.
  it('run brings the topology up and passes with zero lost writes; --keep leaves it up; found up, it stays up; SIGTERM mid-drill reverts; a missed objective exits 1; down removes all', async () => {
    expect(await labelled(project)).toEqual(NOTHING)
    const kept = await firedrill(['run', 'drills/kill-primary.yaml', '--topology', topology, '--keep', '--ci', '--reporter', 'json,table'], LONG)
    expect(kept.exitCode, kept.stderr).toBe(0)
    expect(kept.stderr).toMatch(/kill-primary: PASS\s+RTO [\d.]+ s ± 100 ms/)
    const lines = kept.stdout.trim().split('\n')
    expect(lines).toHaveLength(1)
    const result = JSON.parse(lines[0]!)
    expect(result).toMatchObject({drill: 'kill-primary', topology: project, verdict: 'pass', objectives: {rto_ms: 30_000, rpo_ms: 0}})
    const m = result.measurements
    // Synchronous replication: no acknowledged write may be lost.
    expect(m.lost_writes).toBe(0)
    expect(m.rpo_ms).toBe(0)
    expect(m.acked_writes).toBeGreaterThan(30)
    expect(m.rto_ms).toBeGreaterThan(0)
    expect(m.rto_ms).toBeLessThan(30_000)
    expect(m.impact_ms).toBeLessThan(m.rto_ms)
    expect(m.resolution_ms).toBe(100)
    expect(Date.parse(result.finished_at)).toBeGreaterThan(Date.parse(result.started_at))
    const kinds = result.timeline.map((e: {kind: string}) => e.kind)
    for (const kind of ['fault', 'first-failure', 'leader-change', 'recovered', 'read-back', 'revert']) expect(kinds).toContain(kind)
    // The fault hit whichever node led, and writes moved to another.
    const fault = result.timeline.find((e: {kind: string}) => e.kind === 'fault')
    expect(fault.detail).toMatch(new RegExp(`^SIGKILL fd-${project}-postgres-`))
    expect(result.reverts).toEqual([expect.objectContaining({ok: true})])
    expect((await labelled(project)).containers).toHaveLength(6)

    const again = await firedrill(['up', '--topology', topology, '--json'], LONG)
    expect(again.exitCode).toBe(0)
    expect(JSON.parse(again.stdout)).toMatchObject({project, created: false})

    const healthyRoles = async () => {
      const status = await firedrill(['status', '--topology', topology, '--json'])
      expect(status.exitCode).toBe(0)
      const s = JSON.parse(status.stdout)
      expect(s.healthy, JSON.stringify(s.problems)).toBe(true)
      const pg = s.instances.filter((i: {service: string}) => i.service === 'postgres')
      return Object.fromEntries(pg.map((i: {site: string; role: string}) => [i.site, i.role]))
    }
    // The killed leader came back as a replica; busan (nofailover, nosync) is only ever a replica.
    const roles = await healthyRoles()
    expect(Object.values(roles).sort()).toEqual(['leader', 'replica', 'sync_standby'])
    expect(roles.busan).toBe('replica')

    // SIGTERM while waiting for recovery: exit 143, the killed container is started again.
    const stopped = await firedrillInterrupted(['run', 'drills/kill-primary.yaml', '--topology', topology, '--ci'], /Step 3\/4/, 'SIGTERM')
    expect(stopped.exitCode).toBe(143)
    expect(stopped.stderr).toMatch(/✔ Revert 1 fault\(s\)/)
    const containers = await new DockerEngine().listContainers([`io.firedrill.project=${project}`])
    expect(containers.map((c) => c.state)).toEqual(Array(6).fill('running'))
    // Its evidence says interrupted, with the revert, and claims no figure; it still verifies.
    const bundle = /evidence (\S+) \(/.exec(stopped.stderr)?.[1]
    expect(bundle, stopped.stderr).toBeDefined()
    const partial = JSON.parse(readFileSync(path.join(bundle!, 'result.json'), 'utf8'))
    expect(partial).toMatchObject({status: 'interrupted', verdict: 'fail', error: expect.stringMatching(/SIGTERM/), measurements: {rto_ms: null, rpo_ms: null, lost_writes: null}})
    expect(partial.reverts).toEqual([expect.objectContaining({ok: true})])
    expect(partial.results.every((o: {measured: string; met: boolean}) => o.measured === 'not measured' && !o.met)).toBe(true)
    expect((await firedrill(['evidence', 'verify', bundle!])).exitCode).toBe(0)

    // An objective no failover can meet: exit 1; found up, the topology stays up and becomes healthy again.
    const strict = tmp.write('strict.yaml', MINIMAL_DRILL.replace('name: kill-primary', 'name: too-strict').replace('rto: 30s', 'rto: 500ms'))
    const run = await firedrill(['run', strict, '--topology', topology, '--ci'], LONG)
    expect(run.exitCode).toBe(1)
    expect(run.stdout).toMatch(/too-strict\s+│ RTO\s+│ 500 ms\s+│ [\d.]+ s ± 100 ms\s+│ FAIL/)
    expect(run.stdout).toMatch(/too-strict\s+│ RPO\s+│ 0 ms\s+│ 0 ms \(0 lost\)\s+│ PASS/)
    await healthyRoles()

    const down = await firedrill(['down', '--topology', topology, '--json'], LONG)
    expect(down.exitCode).toBe(0)
    expect(JSON.parse(down.stdout)).toMatchObject({project, containers: 6, networks: 4})
    expect(await labelled(project)).toEqual(NOTHING)

    const downAgain = await firedrill(['down', '--topology', topology])
    expect(downAgain.exitCode).toBe(0)
    expect(downAgain.stdout).toContain(`Nothing of ${project} was there.`)
    expect(downAgain.stdout).not.toContain('Looked on the engine')
    // --project alone looked on one engine, and says which: sites on other engines are found through the topology file.
    const byProject = await firedrill(['down', '--project', project])
    expect(byProject.exitCode).toBe(0)
    expect(byProject.stdout).toContain(`Nothing of ${project} was there.\n(Looked on the engine at ${process.env.DOCKER_HOST ?? '/var/run/docker.sock'} only: a topology whose sites run on other engines is removed with --topology FILE.)`)
  })
})

describe('up refuses what is in the way and creates nothing', () => {
  it('a container name taken by something firedrill did not create', async () => {
    const project = testProject()
    const topology = tmp.write(`${project}.yaml`, embeddedTopologyAs(project))
    const engine = new DockerEngine()
    const squatter = await engine.createContainer({
      name: `fd-${project}-etcd-busan`,
      hostname: 'squatter',
      image: 'firedrill/bank-node:15',
      command: ['sleep', 'infinity'],
      env: {},
      labels: {},
      ports: [],
      mounts: [],
      networks: [],
      stopTimeoutMs: 1000,
    })
    try {
      const r = await firedrill(['up', '--topology', topology])
      expect(r.exitCode).toBe(2)
      expect(r.stderr).toContain(`a container named fd-${project}-etcd-busan already exists and was not created by firedrill`)
      expect(await labelled(project)).toEqual(NOTHING)
    } finally {
      await engine.removeContainer(squatter)
      engine.close()
    }
  })

  it('an image that is missing and has no build context', async () => {
    const project = testProject()
    const topology = tmp.write(
      `${project}.yaml`,
      `name: ${project}\nsites:\n  one: {role: primary}\nservices:\n  web:\n    sites: [one]\n    image: firedrill/does-not-exist:0\n`,
    )
    const r = await firedrill(['up', '--topology', topology])
    expect(r.exitCode).toBe(2)
    expect(r.stderr).toContain('image firedrill/does-not-exist:0 is not on this machine and its service has no build context')
    expect(await labelled(project)).toEqual(NOTHING)
  })

  it('a host port already in use', async () => {
    const server = net.createServer()
    await new Promise<void>((resolve) => server.listen({host: '127.0.0.1', port: 0}, resolve))
    const port = (server.address() as net.AddressInfo).port
    const project = testProject()
    const topology = tmp.write(
      `${project}.yaml`,
      `name: ${project}
sites:
  one: {role: primary}
services:
  web:
    sites: [one]
    image: firedrill/bank-node:15
    command: [sleep, infinity]
    ports: [{container: 8080, host: ${port}}]
`,
    )
    try {
      const r = await firedrill(['up', '--topology', topology])
      expect(r.exitCode).toBe(2)
      expect(r.stderr).toContain(`host port 127.0.0.1:${port} (for web on one) is already in use: EADDRINUSE`)
      expect(await labelled(project)).toEqual(NOTHING)
    } finally {
      server.close()
    }
  })
})
