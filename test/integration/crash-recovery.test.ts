import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {DockerEngine} from '../../src/engine/docker.js'
import {firedrill, firedrillInterrupted, firedrillSignalled} from '../support/cli.js'
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

  it('Ctrl-C three times abandons the restore at once, saying exactly what is left and how to clean it', async () => {
    const r = await firedrillSignalled(['run', drill, '--topology', topology, '--ci'], /Step 4\/4: sleep/, ['SIGINT', 'SIGINT', 'SIGINT'])
    expect(r.exitCode).toBe(130)
    expect(r.stderr).toContain('SIGINT again: still restoring what was changed; once more to abandon and leave it as it is')
    expect(r.stderr).toContain('SIGINT a third time: abandoning the restore.')
    // The restore may have finished between the signals; either way what is said matches what is left.
    const left = /Left in place on (\S+): (.*)\. Restore with: firedrill cleanup --project (\S+)/.exec(r.stderr)
    const cleaned = await firedrill(['cleanup', '--project', project, '--json'], LONG)
    expect(cleaned.exitCode, cleaned.stderr).toBe(0)
    const result = JSON.parse(cleaned.stdout)
    if (left) {
      expect([left[1], left[3]]).toEqual([project, project])
      expect(result.journal).not.toBeNull()
    } else {
      expect(r.stderr).toContain('No fault was left in place.')
      expect(result.journal).toBeNull()
    }
    const up = await firedrill(['up', '--topology', topology, '--ci'], LONG)
    expect(up.exitCode, up.stderr).toBe(0)
  }, 600_000)
})
