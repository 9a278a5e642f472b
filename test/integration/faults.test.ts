import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {loadTopology} from '../../src/config/load-topology.js'
import type {FaultStep} from '../../src/config/drill.js'
import {faultStep} from '../../src/config/drill.js'
import {DockerEngine} from '../../src/engine/docker.js'
import {buildFault} from '../../src/faults/catalog.js'
import {FILLER_NAME} from '../../src/faults/disk-full.js'
import {selectTargets} from '../../src/faults/targets.js'
import {observe} from '../../src/topology/observe.js'
import {firedrill} from '../support/cli.js'
import {labelled, NOTHING, testProject} from '../support/docker.js'
import {tempDir} from '../support/files.js'

const LONG = {timeout: 240_000}

/** Two sites, one small container each, a 64 MiB data volume: every fault and its revert, no database needed. */
const topologyYaml = (project: string) => `name: ${project}
sites:
  east: {role: primary}
  west: {role: standby}
services:
  app:
    sites: [east, west]
    image: firedrill/bank-node:15
    command: [sleep, infinity]
    volumes:
      - {name: data, target: /data, size: 64MiB}
    stop_timeout: 1s
up_timeout: 60s
`

let tmp: ReturnType<typeof tempDir>
const project = testProject()
let topologyFile: string
const engine = new DockerEngine()

beforeAll(async () => {
  tmp = tempDir()
  topologyFile = tmp.write(`${project}.yaml`, topologyYaml(project))
  const up = await firedrill(['up', '--topology', topologyFile, '--ci'], LONG)
  expect(up.exitCode, up.stderr).toBe(0)
}, 240_000)

afterAll(async () => {
  const down = await firedrill(['down', '--project', project], LONG)
  expect(down.exitCode).toBe(0)
  expect(await labelled(project)).toEqual(NOTHING)
  engine.close()
  tmp.cleanup()
}, 240_000)

/** What a revert must give back: every container running (not paused), on the same networks, reachable by name over the WAN. */
async function snapshot() {
  const containers = await engine.listContainers([`io.firedrill.project=${project}`])
  const state = containers.map((c) => ({name: c.name, state: c.state, networks: Object.keys(c.addresses).sort()})).sort((a, b) => a.name.localeCompare(b.name))
  const east = containers.find((c) => c.name.endsWith('-east'))!
  const resolves = state.every((s) => s.state === 'running') ? (await engine.exec(east.id, ['getent', 'hosts', 'app-west'], {timeoutMs: 10_000})).exitCode === 0 : false
  const fillers = await Promise.all(
    containers.filter((c) => c.state === 'running').map(async (c) => (await engine.exec(c.id, ['ls', '-A', '/data'], {user: 'root', timeoutMs: 10_000})).stdout.trim()),
  )
  return {state, resolves, fillers}
}

async function injectAndRevert(raw: Record<string, unknown>, during: (before: Awaited<ReturnType<typeof snapshot>>) => Promise<void>) {
  const step = {kind: 'fault', ...faultStep.parse(raw)} as FaultStep
  const topology = loadTopology(topologyFile)
  const before = await snapshot()
  expect(before.state.every((s) => s.state === 'running')).toBe(true)
  expect(before.resolves).toBe(true)
  const targets = selectTargets(step.target!, (await observe(topology, engine)).instances)
  expect(targets.length).toBeGreaterThan(0)
  const injected = await buildFault(step, targets, topology, engine, () => performance.now()).inject()
  await during(before)
  await injected.revert?.run()
  // A killed or stopped container is started again; give the engine a moment to report it running.
  for (let i = 0; i < 50 && JSON.stringify(await snapshot()) !== JSON.stringify(before); i++) await new Promise((r) => setTimeout(r, 200))
  expect(await snapshot()).toEqual(before)
  return injected
}

const stateOf = async (suffix: string) => (await engine.listContainers([`io.firedrill.project=${project}`])).find((c) => c.name.endsWith(suffix))!

describe('each fault against real containers, and its revert', () => {
  it('kill (SIGKILL): the container dies; revert starts it again', async () => {
    await injectAndRevert({fault: 'kill', target: {service: 'app', site: 'east'}}, async () => {
      expect((await stateOf('-east')).state).toBe('exited')
    })
  })

  it('stop: graceful within its timeout; revert starts it', async () => {
    await injectAndRevert({fault: 'stop', target: {service: 'app', site: 'west'}, timeout: '1s'}, async () => {
      expect((await stateOf('-west')).state).toBe('exited')
    })
  })

  it('pause: frozen; revert thaws', async () => {
    await injectAndRevert({fault: 'pause', target: {service: 'app', site: 'east'}}, async () => {
      expect((await stateOf('-east')).state).toBe('paused')
    })
  })

  it('restart: running again by itself, nothing to revert', async () => {
    const injected = await injectAndRevert({fault: 'restart', target: {service: 'app', site: 'west'}, timeout: '1s'}, async () => {
      expect((await stateOf('-west')).state).toBe('running')
    })
    expect(injected.revert).toBeUndefined()
  })

  it('power-cut: every container of the site at once, the spread recorded; revert powers it back', async () => {
    const injected = await injectAndRevert({fault: 'power-cut', target: {site: 'west'}}, async () => {
      expect((await stateOf('-west')).state).toBe('exited')
      expect((await stateOf('-east')).state).toBe('running')
    })
    expect(injected.detail).toMatch(/spread/)
  })

  it('isolate: off the WAN both ways; revert reconnects with the names it had', async () => {
    await injectAndRevert({fault: 'isolate', target: {site: 'west'}}, async () => {
      const west = await stateOf('-west')
      expect(Object.keys(west.addresses)).not.toContain(`fd-${project}-wan`)
      const east = await stateOf('-east')
      expect((await engine.exec(east.id, ['getent', 'hosts', 'app-west'], {timeoutMs: 10_000})).exitCode).not.toBe(0)
    })
  })

  it('process-kill: the process dies inside a container that lives on', async () => {
    const east = await stateOf('-east')
    const run = (argv: string[]) => engine.exec(east.id, argv, {user: 'root', timeoutMs: 10_000})
    await run(['cp', '/bin/sleep', '/tmp/fd-victim'])
    await run(['setsid', '-f', '/tmp/fd-victim', '600'])
    // Alive, not a zombie (PID 1 here is sleep, which never reaps its children).
    const victims = async () => (await run(['ps', '-C', 'fd-victim', '-o', 'stat='])).stdout.split('\n').filter((l) => l.trim() && !l.trim().startsWith('Z')).length
    expect(await victims()).toBe(1)
    const injected = await injectAndRevert({fault: 'process-kill', target: {service: 'app', site: 'east'}, process: 'fd-victim'}, async () => {
      expect(await victims()).toBe(0)
      expect((await stateOf('-east')).state).toBe('running')
    })
    expect(injected.detail).toMatch(/killed the oldest fd-victim process in 1 container/)
    expect(injected.revert).toBeUndefined()
  })

  it('disk-full: the size-limited volume is full; revert frees it', async () => {
    const injected = await injectAndRevert({fault: 'disk-full', target: {service: 'app', site: 'east'}, path: '/data', max_fill: '128MiB'}, async () => {
      const east = await stateOf('-east')
      const write = await engine.exec(east.id, ['dd', 'if=/dev/zero', 'of=/data/more', 'bs=4k', 'count=16'], {user: 'root', timeoutMs: 10_000})
      expect(write.exitCode).not.toBe(0)
      expect(write.stderr).toMatch(/No space left on device/)
      await engine.exec(east.id, ['rm', '-f', '/data/more'], {user: 'root', timeoutMs: 10_000})
      expect((await engine.exec(east.id, ['ls', '-A', '/data'], {user: 'root', timeoutMs: 10_000})).stdout).toContain(FILLER_NAME)
    })
    expect(injected.detail).toMatch(/\/data \(tmpfs, 64\.0 MiB\) 0 B free/)
  })

  it('disk-full refuses a filesystem larger than max_fill', async () => {
    const step = {kind: 'fault', ...faultStep.parse({fault: 'disk-full', target: {service: 'app', site: 'east'}, path: '/data', max_fill: '1MiB'})} as FaultStep
    const topology = loadTopology(topologyFile)
    const targets = selectTargets(step.target!, (await observe(topology, engine)).instances)
    await expect(buildFault(step, targets, topology, engine, () => 0).inject()).rejects.toThrow(/has 64\.0 MiB free \(tmpfs\); disk-full fills at most 1\.0 KiB|disk-full fills at most 1\.0 MiB/)
    expect((await snapshot()).fillers).toEqual(['', ''])
  })
})
