import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {DockerEngine} from '../../src/engine/docker.js'
import {LABEL} from '../../src/engine/labels.js'
import {contains, overlaps, parseCidr} from '../../src/util/cidr.js'
import {firedrill} from '../support/cli.js'
import {labelled, NOTHING, testProject} from '../support/docker.js'
import {tempDir} from '../support/files.js'

const LONG = {timeout: 300_000}

/** Two sites of one sleeping container each, on subnets of their own. */
function topology(project: string, subnets: {a: string; b: string; wan: string}): string {
  return `name: ${project}
sites:
  a: {role: primary, subnet: ${subnets.a}}
  b: {role: replica, subnet: ${subnets.b}}
wan: {subnet: ${subnets.wan}}
services:
  app:
    sites: [a, b]
    image: firedrill/debian-base:bookworm
    command: [sleep, infinity]
    health: {test: ["true"], interval: 1s, timeout: 2s, retries: 30}
    stop_timeout: 0s
`
}

/** Three /24s of 10.214.0.0/16 in a /22 that no network on the engine uses (other people's tests share it). */
async function freeSubnets(engine: DockerEngine): Promise<{a: string; b: string; wan: string}> {
  const taken = (await engine.listNetworks([])).flatMap((n) => n.subnets.map((s) => parseCidr(s)!))
  for (let attempt = 0; attempt < 64; attempt++) {
    const third = 4 * Math.floor(Math.random() * 64)
    const block = parseCidr(`10.214.${third}.0/22`)!
    if (!taken.some((t) => overlaps(t, block))) return {wan: `10.214.${third}.0/24`, a: `10.214.${third + 1}.0/24`, b: `10.214.${third + 2}.0/24`}
  }
  throw new Error('no free /22 in 10.214.0.0/16 on this engine')
}

describe('a topology that gives its networks subnets', () => {
  const project = testProject()
  const intruder = testProject()
  const engine = new DockerEngine()
  let tmp: ReturnType<typeof tempDir>
  let subnets: {a: string; b: string; wan: string}
  beforeAll(async () => {
    tmp = tempDir()
    subnets = await freeSubnets(engine)
  })
  afterAll(async () => {
    await firedrill(['down', '--project', project], LONG)
    await firedrill(['down', '--project', intruder], LONG)
    expect(await labelled(project)).toEqual(NOTHING)
    expect(await labelled(intruder)).toEqual(NOTHING)
    engine.close()
    tmp.cleanup()
  }, 300_000)

  it('up puts every network on its subnet and every container in it; down leaves nothing', async () => {
    const up = await firedrill(['up', '--topology', tmp.write('t.yaml', topology(project, subnets)), '--ci'], LONG)
    expect(up.exitCode, up.stderr).toBe(0)

    const networks = Object.fromEntries((await engine.listNetworks([`${LABEL.project}=${project}`])).map((n) => [n.name, n.subnets]))
    expect(networks).toEqual({[`fd-${project}-a`]: [subnets.a], [`fd-${project}-b`]: [subnets.b], [`fd-${project}-wan`]: [subnets.wan]})
    const containers = await engine.listContainers([`${LABEL.project}=${project}`])
    expect(containers.map((c) => c.name).sort()).toEqual([`fd-${project}-app-a`, `fd-${project}-app-b`])
    for (const c of containers) {
      const site = c.labels[LABEL.site] as 'a' | 'b'
      const siteAddress = c.addresses[`fd-${project}-${site}`]!
      const wanAddress = c.addresses[`fd-${project}-wan`]!
      expect(contains(parseCidr(subnets[site])!, siteAddress), `${c.name} at ${siteAddress} on its site's network`).toBe(true)
      expect(contains(parseCidr(subnets.wan)!, wanAddress), `${c.name} at ${wanAddress} on the WAN`).toBe(true)
    }

    // Another topology asking for a subnet these networks hold: refused before anything is created.
    const clash = topology(intruder, {a: subnets.b, b: '10.215.255.0/24', wan: '10.215.254.0/24'})
    const refused = await firedrill(['up', '--topology', tmp.write('clash.yaml', clash), '--ci'], LONG)
    expect(refused.exitCode).toBe(2)
    expect(refused.stderr).toContain(`subnet ${subnets.b} of network fd-${intruder}-a overlaps ${subnets.b}, the subnet of network fd-${project}-b already on the engine`)
    expect(await labelled(intruder)).toEqual(NOTHING)

    const down = await firedrill(['down', '--project', project], LONG)
    expect(down.exitCode, down.stderr).toBe(0)
    expect(await labelled(project)).toEqual(NOTHING)
  }, 300_000)
})
