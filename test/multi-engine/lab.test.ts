import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {startEngines, type EngineLab} from '../support/engines.js'

// The harness itself: three engines in one swarm, an attachable overlay spanning them, plain containers
// on two engines reaching each other by name, and nothing left on the host engine afterwards.
describe('engine lab', () => {
  let lab: EngineLab
  const project = `englab${Math.random().toString(36).slice(2, 6)}`

  beforeAll(async () => {
    lab = await startEngines({project, count: 3, images: ['firedrill/net-helper:1']})
  })
  afterAll(async () => {
    await lab?.remove()
  })

  it('forms one swarm of three managers, and an overlay connects containers on different engines', async () => {
    const [e1, e2, e3] = [lab.at(0), lab.at(1), lab.at(2)]
    const ids = await Promise.all(lab.engines.map(async (e) => (await lab.docker(e, ['info', '--format', '{{.Swarm.Cluster.ID}} {{.Swarm.ControlAvailable}}'])).stdout.trim()))
    expect(new Set(ids).size).toBe(1)
    expect(ids[0]).toMatch(/^\S+ true$/)
    await lab.docker(e1, ['network', 'create', '-d', 'overlay', '--attachable', `${project}-ov`])
    await lab.docker(e2, ['run', '-d', '--name', `${project}-a`, '--network', `${project}-ov`, 'firedrill/net-helper:1', 'sleep', '300'])
    const resolved = await lab.docker(e3, ['run', '--rm', '--network', `${project}-ov`, 'firedrill/net-helper:1', 'getent', 'hosts', `${project}-a`], {reject: false})
    expect(resolved.exitCode, resolved.stderr).toBe(0)
    expect(resolved.stdout).toMatch(/^\d+\.\d+\.\d+\.\d+\s/)
    // A closed port answers with a reset only when packets cross the overlay both ways; cut off, it times out.
    const reached = await lab.docker(e3, ['run', '--rm', '--network', `${project}-ov`, 'firedrill/net-helper:1', 'timeout', '5', 'bash', '-c', `echo > /dev/tcp/${project}-a/9`], {reject: false})
    expect(reached.stderr).toMatch(/Connection refused/)
    await lab.docker(e2, ['rm', '-f', `${project}-a`])
    await lab.docker(e1, ['network', 'rm', `${project}-ov`])
  })
})
