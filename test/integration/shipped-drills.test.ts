import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {loadDrillFiles} from '../../src/config/drill-files.js'
import {DEFAULT_DRILLS_DIR} from '../../src/paths.js'
import {firedrill} from '../support/cli.js'
import {labelled, NOTHING, testProject} from '../support/docker.js'
import {embeddedTopologyAs, tempDir} from '../support/files.js'

/**
 * Every drill shipped in drills/ must pass against the embedded topology, as the quickstart runs them:
 * three at a time, each on its own copy of the topology (`--parallel 3`), which also holds the copies
 * to real drills on real failovers (test/integration/parallel.test.ts covers their life cycle on a
 * one-container topology). One after another on one topology is what the other integration files do.
 */
describe('the shipped drills on the embedded topology', () => {
  const project = testProject()
  let tmp: ReturnType<typeof tempDir>
  let topology: string
  beforeAll(() => {
    tmp = tempDir()
    topology = tmp.write(`${project}.yaml`, embeddedTopologyAs(project))
  })
  afterAll(async () => {
    await firedrill(['down', '--project', project], {timeout: 300_000})
    tmp.cleanup()
  })

  it('firedrill run drills/ --parallel 3 passes every one, reverts every fault, and leaves nothing behind', async () => {
    const shipped = loadDrillFiles([DEFAULT_DRILLS_DIR]).drills.map((d) => d.drill.name)
    expect(shipped.length).toBeGreaterThanOrEqual(5)
    const r = await firedrill(['run', 'drills/', '--topology', topology, '--parallel', '3', '--ci', '--json'], {timeout: 1_500_000})
    let results: any[]
    try {
      results = r.stdout
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l))
    } catch {
      throw new Error(`run --json printed something that is not one JSON object per line (exit ${r.exitCode}):\n${r.stdout}\n--- stderr:\n${r.stderr.slice(-4000)}`)
    }
    const summary = results.map((x: any) => ({drill: x.drill, verdict: x.verdict, rto_ms: x.measurements?.rto_ms, lost: x.measurements?.lost_writes, failed: x.results?.filter((o: {met: boolean}) => !o.met)}))
    expect(summary.map((s) => s.drill)).toEqual(shipped)
    for (const s of summary) expect(s, JSON.stringify(s)).toMatchObject({verdict: 'pass', failed: []})
    expect(r.exitCode, r.stderr).toBe(0)
    for (const x of results as any[]) {
      expect(x.reverts.every((o: {ok: boolean}) => o.ok), `${x.drill}: ${JSON.stringify(x.reverts)}`).toBe(true)
      expect(x.timeline.map((e: {kind: string}) => e.kind)).toContain('read-back')
    }
    for (const copy of [project, `${project}-p1`, `${project}-p2`, `${project}-p3`]) expect(await labelled(copy), copy).toEqual(NOTHING)
  }, 1_600_000)
})
