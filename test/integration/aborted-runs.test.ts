import {readFileSync} from 'node:fs'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {readJournal} from '../../src/drill/journal.js'
import {DockerEngine} from '../../src/engine/docker.js'
import {firedrill, SCRATCH} from '../support/cli.js'
import {labelled, NOTHING, testProject} from '../support/docker.js'
import {embeddedTopologyAs, MINIMAL_DRILL, tempDir} from '../support/files.js'

const LONG = {timeout: 480_000}
const drillWith = (name: string, head: string, steps: string) => MINIMAL_DRILL.replace('name: kill-primary', `name: ${name}\n${head}`).replace(/steps:[\s\S]*$/, `steps:\n${steps}`)
/** busan never leads (Patroni nofailover): a wait for it waits until something else ends it. */
const WAIT_FOREVER = `  - wait: role
    role: leader
    site: busan
    timeout: 5m
`

/** Runs that cannot complete, on a real topology: a drill past its deadline. */
describe('runs that end early on the real engine', () => {
  const project = testProject()
  let tmp: ReturnType<typeof tempDir>
  let topology: string
  let engine: DockerEngine
  const byName = async () => Object.fromEntries((await engine.listContainers([`io.firedrill.project=${project}`])).map((c) => [c.name, c]))
  const bundleOf = (stderr: string) => {
    const dir = /evidence (\S+) \(/.exec(stderr)?.[1]
    expect(dir, stderr).toBeDefined()
    return dir!
  }

  beforeAll(async () => {
    tmp = tempDir()
    engine = new DockerEngine()
    topology = tmp.write(`${project}.yaml`, embeddedTopologyAs(project))
    const up = await firedrill(['up', '--topology', topology, '--ci'], LONG)
    expect(up.exitCode, up.stderr).toBe(0)
  }, 480_000)
  afterAll(async () => {
    await firedrill(['down', '--project', project], LONG)
    expect(await labelled(project)).toEqual(NOTHING)
    engine.close()
    tmp.cleanup()
  }, 300_000)

  it('past its deadline: the steps stop, the fault is reverted, exit 4, evidence says aborted naming the deadline and claims no figure', async () => {
    const drill = tmp.write('deadline.yaml', drillWith('overrun', 'deadline: 5s', `  - sleep: 1s\n  - fault: pause\n    target: {service: postgres, site: busan}\n${WAIT_FOREVER}`))
    const started = Date.now()
    const r = await firedrill(['run', drill, '--topology', topology, '--ci', '--reporter', 'table,junit,markdown'], LONG)
    const took = Date.now() - started
    expect(r.exitCode, r.stderr).toBe(4)
    // oclif wraps warnings at the terminal's width, continuing each line with " ›".
    expect(r.stderr.replace(/\s*\n ›\s+/g, ' ')).toMatch(/Warning: .*deadline\.yaml:\d+:\d+: steps\[2\]: its timeout of 5m can never be reached: after 1s of sleeps before it, the deadline 5s \(set in the drill\) ends the drill first/)
    expect(r.stderr).toMatch(/Error: drill overrun passed its deadline 5s \(set in the drill\) during step 3\/3 \(wait until leader on busan \(at most 300\.00 s\)\): the steps were stopped and nothing was measured/)
    expect(r.stderr).toMatch(/✔ Revert 1 fault\(s\)/)
    expect(took).toBeLessThan(60_000)

    // Thawed, and no journal left.
    expect(Object.values(await byName()).map((c) => c.state)).toEqual(Array(6).fill('running'))
    expect(readJournal(project, SCRATCH.FIREDRILL_STATE_DIR)).toBeUndefined()

    const bundle = bundleOf(r.stderr)
    const result = JSON.parse(readFileSync(path.join(bundle, 'result.json'), 'utf8'))
    expect(result).toMatchObject({status: 'aborted', verdict: 'fail', error: expect.stringMatching(/passed its deadline 5s/)})
    expect(result.measurements).toMatchObject({rto_ms: null, rpo_ms: null, impact_ms: null, lost_writes: null})
    expect(result.reverts).toEqual([expect.objectContaining({description: `unpause fd-${project}-postgres-busan`, ok: true})])
    expect(result.results.every((o: {measured: string; met: boolean}) => o.measured === 'not measured' && !o.met)).toBe(true)
    expect(readFileSync(path.join(bundle, 'reports', 'report.md'), 'utf8')).toContain('- RTO: not measured (the run was aborted)')
    expect((await firedrill(['evidence', 'verify', bundle])).exitCode).toBe(0)
  })
})
