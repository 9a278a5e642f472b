import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {LABEL} from '../../src/engine/labels.js'
import {firedrill, firedrillMeanwhile} from '../support/cli.js'
import {startEngines, type EngineLab, type InnerEngine} from '../support/engines.js'
import {tempDir} from '../support/files.js'

// Sites on separate hosts, on real engines: three Docker engines (containers of the host engine) in one
// swarm, a topology with one site per engine, brought up, drilled and taken down through the CLI.
// One lab for the whole file, the tests in sequence on it.
const LONG = {timeout: 300_000}
const IMAGE = 'firedrill/net-helper:1'

describe('sites on three engines', () => {
  let lab: EngineLab
  let tmp: ReturnType<typeof tempDir>
  let topology: string
  const project = `eng${Math.random().toString(36).slice(2, 6)}`

  const onEngine = async (e: InnerEngine, kind: 'ps' | 'network ls' | 'volume ls', format: string) =>
    (await lab.docker(e, [...kind.split(' '), ...(kind === 'ps' ? ['-a'] : []), '--filter', `label=${LABEL.project}=${project}`, '--format', format])).stdout.split('\n').filter(Boolean)

  beforeAll(async () => {
    tmp = tempDir()
    lab = await startEngines({project: `${project}-lab`, count: 3})
    const [e1, e2, e3] = [lab.at(0), lab.at(1), lab.at(2)]
    topology = tmp.write(
      'topology.yaml',
      `name: ${project}
engines:
  host-a: {host: "${e1.host}", insecure: true}
  host-b: {host: "${e2.host}", insecure: true}
  host-c: {host: "${e3.host}", insecure: true}
sites:
  seoul: {role: primary, engine: host-a}
  gyeonggi: {role: standby, engine: host-b}
  busan: {role: replica, engine: host-c}
services:
  node:
    sites: [seoul, gyeonggi, busan]
    image: ${IMAGE}
    command: [sleep, infinity]
up_timeout: 60s
`,
    )
  })
  afterAll(async () => {
    if (topology) await firedrill(['down', '--topology', topology, '--ci'], LONG).catch(() => undefined)
    await lab?.remove()
    tmp?.cleanup()
  })

  it('the lab: one swarm of three managers', async () => {
    const ids = await Promise.all(lab.engines.map(async (e) => (await lab.docker(e, ['info', '--format', '{{.Swarm.Cluster.ID}} {{.Swarm.ControlAvailable}}'])).stdout.trim()))
    expect(new Set(ids).size).toBe(1)
    expect(ids[0]).toMatch(/^\S+ true$/)
  })

  it("up: the image copied to every engine, each site's container on its own engine, overlays spanning them, names resolved and reached across engines", async () => {
    const r = await firedrill(['up', '--topology', topology, '--ci'], LONG)
    expect(r.exitCode, r.stderr).toBe(0)
    const [e1, e2, e3] = [lab.at(0), lab.at(1), lab.at(2)]
    // The relay (the runner reaches the containers through it) sits on the first engine, on every overlay.
    expect((await onEngine(e1, 'ps', '{{.Names}}')).sort()).toEqual([`fd-${project}-node-seoul`, `fd-${project}-relay`])
    expect(await onEngine(e2, 'ps', '{{.Names}}')).toEqual([`fd-${project}-node-gyeonggi`])
    expect(await onEngine(e3, 'ps', '{{.Names}}')).toEqual([`fd-${project}-node-busan`])
    expect((await onEngine(e1, 'network ls', '{{.Name}} {{.Driver}} {{.Scope}}')).sort()).toEqual(
      ['busan', 'gyeonggi', 'seoul', 'wan'].map((n) => `fd-${project}-${n} overlay swarm`),
    )
    const seoul = `fd-${project}-node-seoul`
    // A closed port answers with a reset only when packets cross the overlay both ways.
    const reach = await lab.docker(e1, ['exec', seoul, 'timeout', '5', 'bash', '-c', 'getent hosts node-busan && echo > /dev/tcp/node-busan/9'], {reject: false})
    expect(reach.stdout).toMatch(/^\d+\.\d+\.\d+\.\d+\s+node-busan/)
    expect(reach.stderr).toMatch(/Connection refused/)
    const status = await firedrill(['status', '--topology', topology, '--json'], LONG)
    expect(status.exitCode, status.stderr).toBe(0)
    expect(JSON.parse(status.stdout).instances.map((i: {site: string; state: string}) => `${i.site} ${i.state}`)).toEqual(['seoul running', 'gyeonggi running', 'busan running'])
  })

  it('host-power-cut: every container on the host killed, the probe (run in busan, on another engine) fails, and recovers once power is back', async () => {
    const drill = tmp.write(
      'host-cut.yaml',
      `name: host-cut
topology: ${topology}
probe:
  kind: command
  service: node
  argv: [getent, hosts, node-seoul]
  in: {service: node, site: busan}
  interval: 200ms
  timeout: 2s
objectives: {rto: 60s}
steps:
  - sleep: 1s
  - fault: host-power-cut
    name: cut
    target: {site: seoul}
  - sleep: 2s
  - heal: [cut]
  - wait: recovered
    timeout: 60s
`,
    )
    const r = await firedrill(['run', drill, '--keep', '--json', '--ci'], LONG)
    expect(r.exitCode, r.stderr).toBe(0)
    const result = JSON.parse(r.stdout)
    expect(result.faults[0].description).toBe(`power cut of host host-a (sites seoul): SIGKILL fd-${project}-node-seoul`)
    expect(result.measurements.failed_writes).toBeGreaterThan(0)
    expect(result.measurements.rto_ms).toBeGreaterThan(2000)
    expect(result.engine.engines.map((e: {name: string; endpoint: string}) => `${e.name} ${e.endpoint}`)).toEqual(lab.engines.map((e, i) => `host-${'abc'[i]} ${e.host}`))
    expect(await onEngine(lab.at(0), 'ps', '{{.Status}}')).toEqual([expect.stringMatching(/^Up /), expect.stringMatching(/^Up /)])
  })

  it('an engine lost mid-drill: the run is aborted naming the engine; run refuses until cleanup, which finishes once the engine is back', async () => {
    const e2 = lab.at(1)
    const drill = tmp.write(
      'engine-lost.yaml',
      `name: engine-lost
topology: ${topology}
probe:
  kind: command
  service: node
  argv: [getent, hosts, node-gyeonggi]
  in: {service: node, site: busan}
  interval: 200ms
  timeout: 2s
objectives: {rto: 60s}
steps:
  - sleep: 500ms
  - fault: pause
    name: freeze
    target: {site: gyeonggi}
  - sleep: 20s
  - heal: [freeze]
  - wait: recovered
    timeout: 60s
`,
    )
    const r = await firedrillMeanwhile(['run', drill, '--keep', '--ci'], /pause fd-\S+-node-gyeonggi/, async () => {
      // The pause is in place on host-b; then host-b goes away.
      for (let i = 0; i < 100; i++) {
        if ((await onEngine(e2, 'ps', '{{.Status}}'))[0]?.includes('Paused')) break
        await new Promise((res) => setTimeout(res, 100))
      }
      await lab.lose(e2)
    })
    expect(r.exitCode, r.stderr).toBe(4)
    expect(r.stderr).toMatch(/the Docker engine was lost mid-drill \(.*the Docker engine at tcp:\/\/\S+ \(engine host-b\)/)
    expect(r.stderr).toContain(`firedrill cleanup --project ${project}`)
    const refused = await firedrill(['run', drill, '--ci'], LONG)
    expect(refused.exitCode).toBe(2)
    await lab.restore(e2)
    expect(await onEngine(e2, 'ps', '{{.Status}}')).toEqual([expect.stringMatching(/Paused/)])
    const cleaned = await firedrill(['cleanup', '--topology', topology, '--ci'], LONG)
    expect(cleaned.exitCode, cleaned.stderr).toBe(0)
    expect(await onEngine(e2, 'ps', '{{.Status}}')).toEqual([expect.stringMatching(/^Up /)])
  })

  it('down: nothing of the topology left on any engine', async () => {
    const r = await firedrill(['down', '--topology', topology, '--ci'], LONG)
    expect(r.exitCode, r.stderr).toBe(0)
    for (const e of lab.engines) {
      expect(await onEngine(e, 'ps', '{{.Names}}')).toEqual([])
      expect(await onEngine(e, 'network ls', '{{.Name}}')).toEqual([])
      expect(await onEngine(e, 'volume ls', '{{.Name}}')).toEqual([])
    }
  })
})
