import path from 'node:path'

import {execa} from 'execa'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {DockerEngine} from '../../src/engine/docker.js'
import {projectFilter} from '../../src/engine/labels.js'
import {PACKAGE_ROOT} from '../../src/paths.js'
import {networkName} from '../../src/model/topology.js'
import {BIN, firedrill, SCRATCH} from '../support/cli.js'
import {labelled, NOTHING, testProject} from '../support/docker.js'
import {tempDir, tinyPostgresTopology} from '../support/files.js'

const LONG = {timeout: 180_000}

/** A's drill: its only site cut off its WAN, then its database frozen. */
const disruptive = (topology: string) => `name: cut-and-freeze
topology: ${topology}
objectives: {rto: 30s, rpo: 0s}
probe: {kind: postgres-write, service: postgres, password: tiny-pg-password}
steps:
  - sleep: 1s
  - fault: isolate
    target: {site: east}
  - sleep: 2s
  - heal: all
  - fault: pause
    target: {service: postgres}
  - sleep: 2s
  - heal: all
  - wait: recovered
    timeout: 30s
`

/** B's drill makes its database refuse writes for 2 s (a runbook, as an operator would): the probe's writes fail; no container or network changes. */
const psql = (sql: string) => `[env, PGPASSWORD=tiny-pg-password, psql, -h, 127.0.0.1, -U, postgres, -c, "${sql}", -c, "select pg_reload_conf()"]`
const readOnlyDrill = (topology: string) => `name: read-only-db
topology: ${topology}
objectives: {rto: 30s, rpo: 0s}
probe: {kind: postgres-write, service: postgres, password: tiny-pg-password}
steps:
  - sleep: 1s
  - runbook: make the database refuse writes
    argv: ${psql('alter system set default_transaction_read_only = on')}
    in: {service: postgres}
    disruptive: true
  - sleep: 2s
  - runbook: let it take writes again
    argv: ${psql('alter system reset default_transaction_read_only')}
    in: {service: postgres}
  - wait: recovered
    timeout: 30s
`

describe('two projects side by side', () => {
  const a = testProject()
  const b = testProject()
  const engine = new DockerEngine()
  let tmp: ReturnType<typeof tempDir>
  beforeAll(() => {
    tmp = tempDir()
  })
  afterAll(async () => {
    await Promise.all([a, b].map((p) => firedrill(['down', '--project', p], LONG)))
    engine.close()
    tmp.cleanup()
  }, 180_000)

  it('a disruptive drill on A leaves B running, unpaused and on its networks; B drills meanwhile; down A leaves B; down B leaves nothing', async () => {
    const topologyA = tmp.write('a.yaml', tinyPostgresTopology(a))
    const topologyB = tmp.write('b.yaml', tinyPostgresTopology(b))
    const env = {...SCRATCH, FIREDRILL_HOME: path.join(tmp.dir, 'home')}
    const ups = await Promise.all([topologyA, topologyB].map((t) => firedrill(['up', '--topology', t, '--ci'], LONG)))
    for (const up of ups) expect(up.exitCode, up.stderr).toBe(0)
    const bNetworks = [networkName(b, 'east'), networkName(b, undefined)].sort()
    const [bBefore] = await engine.listContainers(projectFilter(b))
    const bNetworksBefore = (await engine.listNetworks(projectFilter(b))).map((n) => n.id).sort()
    expect(Object.keys(bBefore!.addresses).sort()).toEqual(bNetworks)

    // Watch both while A's drill runs: every change to B is a failure; A must be seen disrupted, or the watch proved nothing.
    const seenOfB = new Set<string>()
    const seenOfA = new Set<string>()
    let watching = true
    const watch = (async () => {
      while (watching) {
        const [[cb], [ca]] = await Promise.all([engine.listContainers(projectFilter(b)), engine.listContainers(projectFilter(a))])
        seenOfB.add(cb ? `${cb.id === bBefore!.id ? 'same container' : 'another container'} ${cb.state} on ${Object.keys(cb.addresses).sort().join(',')}` : 'gone')
        if (ca) seenOfA.add(`${ca.state} on ${Object.keys(ca.addresses).sort().join(',')}`)
        await new Promise((r) => setTimeout(r, 100))
      }
    })()

    const runA = execa('node', [BIN, 'run', tmp.write('cut-and-freeze.yaml', disruptive(topologyA)), '--ci', '--reporter', 'json'], {reject: false, stdin: 'ignore', cwd: PACKAGE_ROOT, env, timeout: 120_000})
    // B starts while A holds its lock and its site is cut off.
    let stderrA = ''
    await new Promise<void>((resolve, reject) => {
      runA.stderr!.on('data', (chunk: Buffer) => {
        stderrA += chunk.toString()
        if (/Step 3\/8: sleep/.test(stderrA)) resolve()
      })
      void runA.then(() => reject(new Error(`A ended before its fault:\n${stderrA}`)))
    })
    const runB = execa('node', [BIN, 'run', tmp.write('read-only-db.yaml', readOnlyDrill(topologyB)), '--ci', '--reporter', 'json'], {reject: false, stdin: 'ignore', cwd: PACKAGE_ROOT, env, timeout: 120_000})
    const [doneA, doneB] = await Promise.all([runA, runB])
    watching = false
    await watch

    expect(doneA.exitCode, `${stderrA}${doneA.stderr}`).toBe(0)
    expect(doneB.exitCode, String(doneB.stderr)).toBe(0)
    const resultA = JSON.parse(String(doneA.stdout))
    const resultB = JSON.parse(String(doneB.stdout))
    expect(resultA).toMatchObject({topology: a, verdict: 'pass', measurements: {lost_writes: 0}})
    expect(resultB).toMatchObject({topology: b, verdict: 'pass', measurements: {lost_writes: 0}})
    // Each drill really disrupted its own probe, and B's ran while A's was still going.
    expect(resultA.measurements.rto_ms).toBeGreaterThan(0)
    expect(resultB.measurements.rto_ms).toBeGreaterThan(1000)
    expect(Date.parse(resultB.started_at)).toBeLessThan(Date.parse(resultA.finished_at))
    expect(seenOfA).toContain(`running on ${networkName(a, 'east')}`)
    expect(seenOfA).toContain(`paused on ${[networkName(a, 'east'), networkName(a, undefined)].sort().join(',')}`)
    expect([...seenOfB]).toEqual([`same container running on ${bNetworks.join(',')}`])

    const downA = await firedrill(['down', '--project', a], LONG)
    expect(downA.exitCode).toBe(0)
    expect(await labelled(a)).toEqual(NOTHING)
    const [bAfter] = await engine.listContainers(projectFilter(b))
    expect(bAfter).toMatchObject({id: bBefore!.id, state: 'running', health: 'healthy', addresses: bBefore!.addresses})
    expect((await engine.listNetworks(projectFilter(b))).map((n) => n.id).sort()).toEqual(bNetworksBefore)

    const downB = await firedrill(['down', '--project', b], LONG)
    expect(downB.exitCode).toBe(0)
    expect(await labelled(b)).toEqual(NOTHING)
  })

  it("a topology another machine's firedrill holds on the engine (its lock volume) is refused, naming the holder; nothing is created", async () => {
    const c = testProject()
    const topology = tmp.write('c.yaml', tinyPostgresTopology(c))
    const lock = `fd-${c}-lock`
    // What a runner on another machine leaves on this engine while it drills c (src/engine/engine-lock.ts).
    await engine.createVolume({name: lock, labels: {'io.firedrill.project.lock': c, 'io.firedrill.holder.host': 'runner-b', 'io.firedrill.holder.pid': '4242', 'io.firedrill.holder.started_at': '2026-12-01T21:00:00Z', 'io.firedrill.holder.command': 'run drills/'}})
    try {
      const up = await firedrill(['up', '--topology', topology, '--ci'], LONG)
      expect(up.exitCode).toBe(2)
      expect(up.stderr).toContain(`topology ${c} is in use by another firedrill (pid 4242 on runner-b, since 2026-12-01T21:00:00Z: run drills/), as the volume ${lock} on its engine says`)
      expect(up.stderr).toContain(`volume rm ${lock}`)
      expect(await labelled(c)).toEqual(NOTHING)
    } finally {
      await engine.removeVolume(lock)
    }
  })
})
