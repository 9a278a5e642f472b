import {readFileSync} from 'node:fs'
import net from 'node:net'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {readJournal} from '../../src/drill/journal.js'
import {DockerEngine} from '../../src/engine/docker.js'
import {firedrill, firedrillInterrupted, SCRATCH} from '../support/cli.js'
import {labelled, NOTHING, testProject} from '../support/docker.js'
import {fixtureTopologyAs, tempDir} from '../support/files.js'

const LONG = {timeout: 300_000}

async function freePort(): Promise<number> {
  const server = net.createServer()
  await new Promise<void>((resolve) => server.listen({host: '127.0.0.1', port: 0}, resolve))
  const {port} = server.address() as net.AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return port
}

/**
 * firedrill sweep on messenger-3dc (flawed: auth only in pangyo), on the real engine, kept cheap: the
 * topology is brought up once; a sweep of pangyo and busan (the full four-site sweep is in
 * bench/sweep.js) names pangyo's power cut as the API's single point of failure and nothing else, with
 * one verifiable bundle and a history entry per cell; a sweep interrupted mid-cell reverts its fault,
 * leaves no journal, and still seals what it measured.
 */
describe('firedrill sweep on the real engine', () => {
  const project = testProject()
  const tmp = tempDir()
  const engine = new DockerEngine()
  let topology: string
  const states = async () => (await engine.listContainers([`io.firedrill.project=${project}`])).map((c) => c.state)

  beforeAll(async () => {
    topology = tmp.write(`${project}.yaml`, fixtureTopologyAs('fixtures/topologies/messenger-3dc/topology.yaml', project, {18480: await freePort()}))
    const up = await firedrill(['up', '--topology', topology, '--ci'], LONG)
    expect(up.exitCode, up.stderr).toBe(0)
  }, 300_000)
  afterAll(async () => {
    await firedrill(['down', '--project', project], LONG)
    expect(await labelled(project)).toEqual(NOTHING)
    engine.close()
    tmp.cleanup()
  }, 300_000)

  it('pangyo and busan: exit 1, one single point of failure (power loss at pangyo stops api: auth runs only in pangyo), busan unaffected; one bundle that verifies; a history entry per cell', async () => {
    const started = Date.now()
    const r = await firedrill(['sweep', '--topology', topology, '--sites', 'pangyo,busan', '--settle', '10s', '--timeout', '30s', '--ci', '--json', '--reporter', 'table,junit,html,markdown'], LONG)
    console.log(`sweep of 2 sites: ${((Date.now() - started) / 1000).toFixed(1)} s`)
    expect(r.exitCode, r.stderr).toBe(1)
    const out = JSON.parse(r.stdout)
    expect(out.spofs.map((s: {sentence: string}) => s.sentence)).toEqual(['power loss at pangyo stops api: auth runs only in pangyo'])
    expect(out.notes).toEqual([])
    expect(out.rows.map((row: {fault: {site: string}}) => row.fault.site)).toEqual(['pangyo', 'busan'])
    const [pangyo, busan] = out.rows as {cells: {probe: string; state: string; rto_ms: number | null}[]}[]
    expect(pangyo!.cells.map((c) => `${c.probe}:${c.state}`)).toEqual(['api:not-recovered', 'messages:recovered'])
    // Sentinel promotes gasan's replica: the data recovers, the API does not (no instance can check a session).
    expect(pangyo!.cells[1]!.rto_ms).toBeGreaterThan(0)
    expect(busan!.cells.map((c) => c.state)).toEqual(['recovered', 'recovered'])
    expect(r.stderr).toContain('Single point of failure: power loss at pangyo stops api: auth runs only in pangyo.')

    // Healthy again, every fault undone, no journal.
    expect(await states()).toEqual(Array(11).fill('running'))
    expect(readJournal(project, SCRATCH.FIREDRILL_STATE_DIR)).toBeUndefined()

    const bundle = out.evidence.dir as string
    const verify = await firedrill(['evidence', 'verify', bundle])
    expect(verify.exitCode, verify.stdout).toBe(0)
    expect(verify.stdout).toMatch(/INTACT\n {2}sweep .* verdict fail; each cell's run bundle under cells\//)
    const sealed = JSON.parse(readFileSync(path.join(bundle, 'sweep.json'), 'utf8'))
    expect(sealed.spofs).toEqual(out.spofs)
    expect(readFileSync(path.join(bundle, 'reports', 'junit.xml'), 'utf8')).toMatch(/tests="4" failures="1"/)
    expect(readFileSync(path.join(bundle, 'reports', 'report.html'), 'utf8')).toContain('class="cell spof"')
    for (const row of out.rows as {run_id: string}[]) expect(readFileSync(path.join(bundle, 'cells', row.run_id, 'result.json'), 'utf8')).toContain(row.run_id)

    const history = JSON.parse((await firedrill(['history', '--json'])).stdout)
    const mine = JSON.stringify(history)
    for (const row of out.rows as {run_id: string}[]) expect(mine).toContain(row.run_id)
    expect(mine).toContain('sweep-power-cut-pangyo')
  })

  it('interrupted mid-cell (SIGINT): the fault is reverted, no journal, exit 130; the cell cut short is sealed as not measured', async () => {
    const r = await firedrillInterrupted(['sweep', '--topology', topology, '--sites', 'gasan', '--settle', '10s', '--timeout', '30s', '--ci'], /Step 2\/3: sleep/, 'SIGINT', 240_000)
    expect(r.exitCode, r.stderr).toBe(130)
    expect(r.stderr).toMatch(/✔ Revert 1 fault\(s\)/)
    expect(await states()).toEqual(Array(11).fill('running'))
    expect(readJournal(project, SCRATCH.FIREDRILL_STATE_DIR)).toBeUndefined()
    const bundle = /Evidence: (\S+) \(/.exec(r.stderr)?.[1]
    expect(bundle, r.stderr).toBeDefined()
    const sealed = JSON.parse(readFileSync(path.join(bundle!, 'sweep.json'), 'utf8'))
    expect(sealed).toMatchObject({status: 'interrupted', verdict: 'fail', spofs: []})
    expect(sealed.rows).toEqual([expect.objectContaining({status: 'interrupted', cells: [expect.objectContaining({state: 'not-measured'}), expect.objectContaining({state: 'not-measured'})]})])
    expect((await firedrill(['evidence', 'verify', bundle!])).exitCode).toBe(0)
  })

  it('SIGKILL mid-cell: the crash journal keeps the power cut; firedrill cleanup restores it; nothing is left', async () => {
    const r = await firedrillInterrupted(['sweep', '--topology', topology, '--sites', 'busan', '--settle', '10s', '--timeout', '30s', '--ci'], /Step 2\/3: sleep/, 'SIGKILL', 240_000)
    expect(r.exitCode, r.stderr).toBeUndefined()
    expect(readJournal(project, SCRATCH.FIREDRILL_STATE_DIR)).toBeDefined()
    expect((await states()).filter((s) => s !== 'running')).toHaveLength(3)
    const clean = await firedrill(['cleanup', '--project', project], LONG)
    expect(clean.exitCode, clean.stderr).toBe(0)
    expect(await states()).toEqual(Array(11).fill('running'))
    expect(readJournal(project, SCRATCH.FIREDRILL_STATE_DIR)).toBeUndefined()
  })
})
