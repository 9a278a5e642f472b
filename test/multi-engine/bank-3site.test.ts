import {readFileSync} from 'node:fs'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {DockerEngine} from '../../src/engine/docker.js'
import {LABEL} from '../../src/engine/labels.js'
import type {DrillResult} from '../../src/model/result.js'
import {PACKAGE_ROOT} from '../../src/paths.js'
import {chaosSettings, chaosTrial, rng, type ChaosTarget} from '../support/chaos.js'
import {firedrill, firedrillMeanwhile} from '../support/cli.js'
import {spreadBank3site, startEngines, type EngineLab} from '../support/engines.js'
import {tempDir} from '../support/files.js'

// Issue 14: bank-3site spread one site per engine (three engines in one swarm), the shipped drills run
// unchanged against it (the topology only gains `engines:` and `engine:` lines). One bring-up, the drills
// in sequence on it, then host-power-cut and an engine lost mid-drill; afterwards nothing is left on any
// engine, and the engines are removed.
const LONG = {timeout: 420_000}
const PROJECT = 'engbank'
// Chaos trials on the spread topology (test/support/chaos.ts, as test/integration/chaos.test.ts on one engine):
// 2 a run, a new seed every run; CHAOS_TRIALS for more, CHAOS_SEED to replay.
const SHIPPED_HERE = ['kill-primary', 'site-power-cut', 'site-isolation', 'wan-degradation']
const CHAOS = chaosSettings(2)

describe('bank-3site, one site per engine', () => {
  let lab: EngineLab
  let tmp: ReturnType<typeof tempDir>
  let topology: string

  beforeAll(async () => {
    tmp = tempDir()
    lab = await startEngines({project: `engbank${Math.random().toString(36).slice(2, 6)}`, count: 3, images: ['firedrill/bank-node:15']})
    topology = tmp.write('topology.yaml', spreadBank3site(PROJECT, lab.engines.map((e) => e.host)))
  })
  afterAll(async () => {
    if (topology) await firedrill(['down', '--topology', topology, '--ci'], LONG).catch(() => undefined)
    await lab?.remove()
    tmp?.cleanup()
  })

  it('up: the relay image loaded from this machine onto every engine, each site on its own engine, overlays, the roles read through the relay', async () => {
    const started = performance.now()
    const up = await firedrill(['up', '--topology', topology, '--ci', '--json'], LONG)
    expect(up.exitCode, up.stderr).toBe(0)
    console.info(`multi-engine up of bank-3site: ${((performance.now() - started) / 1000).toFixed(1)} s`)
    expect(JSON.parse(up.stdout).route).toMatchObject({kind: 'relay', host: lab.at(0).ip})
    for (const [i, site] of ['seoul', 'gyeonggi', 'busan'].entries()) {
      const names = (await lab.docker(lab.at(i), ['ps', '--filter', `label=${LABEL.project}=${PROJECT}`, '--filter', `label=${LABEL.site}=${site}`, '--format', '{{.Names}}'])).stdout.split('\n').filter(Boolean).sort()
      expect(names).toEqual([`fd-${PROJECT}-etcd-${site}`, `fd-${PROJECT}-postgres-${site}`])
      // Not preloaded by the lab: firedrill copied it from this machine's engine (docker save | docker load).
      expect((await lab.docker(lab.at(i), ['image', 'inspect', '--format', '{{.Id}}', 'firedrill/net-helper:1'], {reject: false})).exitCode).toBe(0)
    }
    const networks = (await lab.docker(lab.at(0), ['network', 'ls', '--filter', `label=${LABEL.project}=${PROJECT}`, '--format', '{{.Name}} {{.Driver}} {{.Scope}}'])).stdout.split('\n').filter(Boolean).sort()
    expect(networks).toEqual(['busan', 'gyeonggi', 'seoul', 'wan'].map((n) => `fd-${PROJECT}-${n} overlay swarm`))
  })

  for (const drill of SHIPPED_HERE) {
    it(`the shipped ${drill} drill, unchanged, passes across three engines`, async () => {
      const r = await firedrill(['run', path.join(PACKAGE_ROOT, 'drills', `${drill}.yaml`), '--topology', topology, '--keep', '--ci', '--json'], LONG)
      const result = JSON.parse(r.stdout || '{}') as DrillResult
      console.info(`${drill} on three engines: exit ${r.exitCode}, RTO ${result.measurements?.rto_ms} ms ± ${result.measurements?.resolution_ms} ms, lost ${result.measurements?.lost_writes}, relay adds ${result.route?.added_ms} ms`)
      expect(r.exitCode, r.stderr).toBe(0)
      expect(result.status).toBe('completed')
      expect(result.engine.engines?.map((e) => e.name)).toEqual(['host-a', 'host-b', 'host-c'])
    })
  }

  describe(`chaos on three engines: ${CHAOS.trials} interrupted drills (seed ${CHAOS.seed})`, () => {
    // The shipped drills this file has just run across the engines, interrupted at random (SIGINT, SIGTERM,
    // SIGKILL then cleanup); after each: no crash journal, no fault left on any engine, the topology healthy.
    const engines: DockerEngine[] = []
    afterAll(() => engines.forEach((e) => e.close()))

    it('every trial leaves the topology as it was, on every engine', async () => {
      console.log(`multi-engine chaos seed ${CHAOS.seed} (replay with CHAOS_SEED=${CHAOS.seed} CHAOS_TRIALS=${CHAOS.trials})`)
      for (const e of lab.engines) engines.push(new DockerEngine({endpoint: {kind: 'tcp', host: e.ip, port: 2375, insecure: true}, name: e.name}))
      const target: ChaosTarget = {
        project: PROJECT,
        topology,
        engines,
        drills: SHIPPED_HERE.map((d) => path.join(PACKAGE_ROOT, 'drills', `${d}.yaml`)),
        cleanupArgs: ['--topology', topology],
      }
      const started = performance.now()
      const next = rng(CHAOS.seed)
      const trials: string[] = []
      for (let i = 0; i < CHAOS.trials; i++) trials.push(await chaosTrial(target, next, i, CHAOS.seed))
      console.info(`${trials.join('\n')}\nmulti-engine chaos: ${CHAOS.trials} trials in ${((performance.now() - started) / 1000).toFixed(1)} s`)
    }, 3_600_000)
  })

  it('host-power-cut: every container on seoul\'s host killed at once (the relay, firedrill\'s own, spared); gyeonggi takes over, nothing acknowledged is lost', async () => {
    const drill = tmp.write(
      'host-power-cut.yaml',
      readFileSync(path.join(PACKAGE_ROOT, 'drills', 'site-power-cut.yaml'), 'utf8')
        .replace(/^name: site-power-cut$/m, 'name: host-power-cut')
        .replace(/^topology: .*$/m, `topology: ${topology}`)
        .replace(/^tier: .*$/m, 'objectives: {rto: 60s, rpo: 0s}')
        .replace(/^disruption: .*$/m, '')
        .replace('fault: power-cut', 'fault: host-power-cut'),
    )
    const r = await firedrill(['run', drill, '--keep', '--ci', '--json'], LONG)
    expect(r.exitCode, r.stderr).toBe(0)
    const result = JSON.parse(r.stdout) as DrillResult
    console.info(`host-power-cut on three engines: RTO ${result.measurements.rto_ms} ms ± ${result.measurements.resolution_ms} ms, lost ${result.measurements.lost_writes}`)
    expect(result.faults[0]!.description).toBe(`power cut of host host-a (sites seoul): SIGKILL fd-${PROJECT}-etcd-seoul, fd-${PROJECT}-postgres-seoul`)
    expect(result.measurements.lost_writes).toBe(0)
  })

  it('an engine lost mid-drill: the run is aborted naming it; run refuses until cleanup, which finishes once the engine is back', async () => {
    const busan = lab.at(2)
    const drill = tmp.write(
      'engine-lost.yaml',
      `name: engine-lost
topology: ${topology}
probe: {kind: postgres-write, service: postgres, password: firedrill, interval: 100ms, timeout: 1s}
objectives: {rto: 60s}
steps:
  - sleep: 1s
  - fault: pause
    name: freeze
    target: {service: postgres, site: busan}
  - sleep: 30s
  - heal: [freeze]
  - wait: recovered
    timeout: 60s
`,
    )
    const paused = async () => (await lab.docker(busan, ['ps', '--filter', `name=fd-${PROJECT}-postgres-busan`, '--format', '{{.Status}}'])).stdout.includes('Paused')
    const r = await firedrillMeanwhile(['run', drill, '--keep', '--ci'], /pause fd-\S+-postgres-busan/, async () => {
      for (let i = 0; i < 100 && !(await paused()); i++) await new Promise((res) => setTimeout(res, 100))
      await lab.lose(busan)
    }, LONG)
    expect(r.exitCode, r.stderr).toBe(4)
    expect(r.stderr).toMatch(/the Docker engine was lost mid-drill \(.*the Docker engine at tcp:\/\/\S+ \(engine host-c\)/)
    expect(r.stderr).toContain(`firedrill cleanup --project ${PROJECT}`)
    expect((await firedrill(['run', drill, '--ci'], LONG)).exitCode).toBe(2)
    await lab.restore(busan)
    expect(await paused()).toBe(true)
    const cleaned = await firedrill(['cleanup', '--topology', topology, '--ci'], LONG)
    expect(cleaned.exitCode, cleaned.stderr).toBe(0)
    expect(await paused()).toBe(false)
  })

  it('down: nothing of the topology left on any engine', async () => {
    const r = await firedrill(['down', '--topology', topology, '--ci'], LONG)
    expect(r.exitCode, r.stderr).toBe(0)
    for (const e of lab.engines) {
      for (const kind of [['ps', '-aq'], ['network', 'ls', '-q'], ['volume', 'ls', '-q']]) {
        expect((await lab.docker(e, [...kind, '--filter', `label=${LABEL.project}=${PROJECT}`])).stdout.trim(), `${e.name} ${kind.join(' ')}`).toBe('')
      }
    }
  })
})
