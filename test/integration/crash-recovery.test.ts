import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {DockerEngine} from '../../src/engine/docker.js'
import {firedrill, firedrillInterrupted} from '../support/cli.js'
import {labelled, NOTHING, testProject} from '../support/docker.js'
import {embeddedTopologyAs, MINIMAL_DRILL, tempDir} from '../support/files.js'

const LONG = {timeout: 480_000}

/** The runner SIGKILLed with faults in place: the next run refuses, cleanup restores, drills run again. */
describe('a runner killed outright (SIGKILL) mid-drill', () => {
  const project = testProject()
  let tmp: ReturnType<typeof tempDir>
  let topology: string
  let drill: string
  beforeAll(() => {
    tmp = tempDir()
    topology = tmp.write(`${project}.yaml`, embeddedTopologyAs(project))
    // Seoul paused and busan cut off the WAN, then a long wait: the kill lands while both are in place.
    drill = tmp.write(
      'crash.yaml',
      MINIMAL_DRILL.replace(/steps:[\s\S]*$/, `steps:
  - sleep: 1s
  - fault: isolate
    target: {site: busan}
  - fault: pause
    target: {service: etcd, site: gyeonggi}
  - sleep: 5m
`),
    )
  })
  afterAll(async () => {
    await firedrill(['down', '--project', project], LONG)
    expect(await labelled(project)).toEqual(NOTHING)
    tmp.cleanup()
  }, 300_000)

  it('leaves a journal; run refuses until cleanup has restored every fault; then the topology is healthy again', async () => {
    const killed = await firedrillInterrupted(['run', drill, '--topology', topology, '--ci'], /Step 4\/4: sleep/, 'SIGKILL')
    expect(killed.exitCode).toBeUndefined()
    const engine = new DockerEngine()
    try {
      const byName = async () => Object.fromEntries((await engine.listContainers([`io.firedrill.project=${project}`])).map((c) => [c.name, c]))
      const before = await byName()
      expect(before[`fd-${project}-etcd-gyeonggi`]!.state).toBe('paused')
      expect(Object.keys(before[`fd-${project}-postgres-busan`]!.addresses)).not.toContain(`fd-${project}-wan`)

      const refused = await firedrill(['run', drill, '--topology', topology, '--ci'], LONG)
      expect(refused.exitCode).toBe(2)
      expect(refused.stderr).toMatch(new RegExp(`on topology ${project} .* did not finish: 2 fault\\(s\\) may still be in place: isolate site busan`))
      expect(refused.stderr).toContain(`firedrill cleanup --project ${project}`)

      const cleaned = await firedrill(['cleanup', '--project', project, '--json'], LONG)
      expect(cleaned.exitCode, cleaned.stderr).toBe(0)
      const result = JSON.parse(cleaned.stdout)
      expect(result.failures).toEqual([])
      expect(result.actions).toEqual(expect.arrayContaining([expect.stringMatching(/unpaused fd-.*-etcd-gyeonggi/), expect.stringMatching(/reconnected to fd-.*-wan fd-.*-postgres-busan/)]))
      const after = await byName()
      expect(Object.values(after).every((c) => c.state === 'running')).toBe(true)
      for (const c of Object.values(after)) expect(Object.keys(c.addresses)).toContain(`fd-${project}-wan`)

      const again = await firedrill(['cleanup', '--project', project], LONG)
      expect(again.stdout).toContain(`Nothing of ${project} needed restoring.`)
      const status = await firedrill(['up', '--topology', topology, '--ci'], LONG)
      expect(status.exitCode, status.stderr).toBe(0)
    } finally {
      engine.close()
    }
  }, 600_000)
})
