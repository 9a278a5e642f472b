import {readFileSync} from 'node:fs'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {readJournal} from '../../src/drill/journal.js'
import {DockerEngine} from '../../src/engine/docker.js'
import {firedrill, firedrillMeanwhile, SCRATCH} from '../support/cli.js'
import {dockerProxy, type DockerProxy} from '../support/docker-proxy.js'
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

/** Runs that cannot complete, on a real topology: a drill past its deadline, and one whose engine goes away. */
describe('runs that end early on the real engine', () => {
  const project = testProject()
  let tmp: ReturnType<typeof tempDir>
  let topology: string
  let engine: DockerEngine
  let proxy: DockerProxy | undefined
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
    await proxy?.close()
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

  it('the engine lost mid-drill: exit 4, says what is left and the remedy, keeps the evidence with no figure; run refuses; cleanup restores once the engine is back', async () => {
    proxy = await dockerProxy()
    const env = {DOCKER_HOST: proxy.host}
    const drill = tmp.write(
      'engine-lost.yaml',
      drillWith('engine-lost', '', `  - sleep: 1s\n  - fault: isolate\n    target: {site: busan}\n  - fault: pause\n    target: {service: etcd, site: gyeonggi}\n${WAIT_FOREVER}`),
    )
    const cut = proxy.cut
    const r = await firedrillMeanwhile(['run', drill, '--topology', topology, '--ci', '--reporter', 'table,junit,markdown'], /Step 4\/4/, cut, {env})
    expect(r.exitCode, r.stderr).toBe(4)
    const error = r.stderr.slice(r.stderr.indexOf('\nError: ') + 1)
    expect(error).toMatch(
      /^Error: the Docker engine was lost mid-drill \(cannot reach the Docker engine at unix:\/\/\S+ \(E[A-Z]+\) while trying to [^)]+\); the run is aborted and no RTO or RPO is reported\.\n/,
    )
    // The progress marks the phase failed; what failed is said once, in the error below.
    expect(r.stderr).toMatch(/^✖ Revert 2 fault\(s\)/m)
    expect(error).toContain(`2 fault(s) could not be reverted and may still be in place: isolate site busan`)
    expect(error).toContain(`pause fd-${project}-etcd-gyeonggi`)
    expect(error).toContain(`Try this:\n  once the engine answers again (docker info): firedrill cleanup --project ${project}`)
    expect(r.stderr).toMatch(/Warning: the evidence is incomplete: \d+ item\(s\) could not be collected/)

    // The evidence written so far is kept: aborted, no figure, what could not be collected named.
    const bundle = bundleOf(r.stderr)
    const result = JSON.parse(readFileSync(path.join(bundle, 'result.json'), 'utf8'))
    expect(result).toMatchObject({status: 'aborted', verdict: 'fail', error: expect.stringMatching(/^the Docker engine was lost mid-drill/)})
    expect(result.measurements).toMatchObject({rto_ms: null, rpo_ms: null, impact_ms: null, lost_writes: null})
    expect(result.reverts).toHaveLength(2)
    expect(result.reverts.every((o: {ok: boolean}) => !o.ok)).toBe(true)
    expect(result.results.every((o: {measured: string; met: boolean}) => o.measured === 'not measured' && !o.met)).toBe(true)
    const environment = JSON.parse(readFileSync(path.join(bundle, 'environment.json'), 'utf8'))
    expect(environment.not_collected[0]).toMatch(/^the list of containers \(so no logs and no container inspect\): cannot reach the Docker engine/)
    const markdown = readFileSync(path.join(bundle, 'reports', 'report.md'), 'utf8')
    expect(markdown).toContain('- RTO: not measured (the run was aborted)')
    expect(markdown).toContain('- RPO: unknown; lost writes: unknown')
    expect(readFileSync(path.join(bundle, 'reports', 'junit.xml'), 'utf8')).not.toMatch(/RTO measured \d/)
    expect((await firedrill(['evidence', 'verify', bundle])).exitCode).toBe(0)

    // The faults are still in place, and the journal says so; no drill starts on top of them.
    const left = await byName()
    expect(left[`fd-${project}-etcd-gyeonggi`]!.state).toBe('paused')
    expect(Object.keys(left[`fd-${project}-postgres-busan`]!.addresses)).not.toContain(`fd-${project}-wan`)
    expect(readJournal(project, SCRATCH.FIREDRILL_STATE_DIR)?.entries.map((e) => e.state)).toEqual(['injected', 'injected'])
    const refused = await firedrill(['run', drill, '--topology', topology, '--ci'], {env})
    expect(refused.exitCode).toBe(2)
    expect(refused.stderr).toContain(`firedrill cleanup --project ${project}`)

    // The engine back: cleanup restores everything, and down leaves nothing.
    await proxy.restore()
    const cleaned = await firedrill(['cleanup', '--project', project, '--json'], {...LONG, env})
    expect(cleaned.exitCode, cleaned.stderr).toBe(0)
    expect(JSON.parse(cleaned.stdout).failures).toEqual([])
    const after = await byName()
    expect(Object.values(after).map((c) => c.state)).toEqual(Array(6).fill('running'))
    for (const c of Object.values(after)) expect(Object.keys(c.addresses)).toContain(`fd-${project}-wan`)
    expect(readJournal(project, SCRATCH.FIREDRILL_STATE_DIR)).toBeUndefined()
    const down = await firedrill(['down', '--project', project], {...LONG, env})
    expect(down.exitCode, down.stderr).toBe(0)
    expect(await labelled(project)).toEqual(NOTHING)
  })
})
