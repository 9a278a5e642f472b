import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {firedrill} from '../support/cli.js'
import {labelled, NOTHING, testProject} from '../support/docker.js'
import {embeddedTopologyAs, tempDir} from '../support/files.js'

const LONG = {timeout: 480_000}
let tmp: ReturnType<typeof tempDir>
beforeAll(() => {
  tmp = tempDir()
})
afterAll(() => {
  tmp.cleanup()
})

interface Result {
  drill: string
  topology: string
  verdict: string
  objectives: {rto_ms: number | null; rpo_ms: number | null; split_brain: false | null}
  results: {objective: string; met: boolean}[]
  measurements: {rto_ms: number | null; rpo_ms: number | null; lost_writes: number | null; acked_writes: number; split_brain: {periods: number} | null}
  timeline: {kind: string; detail: string}[]
  reverts: {ok: boolean}[]
}

async function runRegionalDisaster(topology: string): Promise<Result> {
  const r = await firedrill(['run', 'drills/regional-disaster.yaml', '--topology', topology, '--keep', '--json'], LONG)
  expect(r.stderr).toBe('')
  const lines = r.stdout.trim().split('\n')
  expect(lines).toHaveLength(1)
  const result = JSON.parse(lines[0]!) as Result
  expect(r.exitCode, JSON.stringify(result.results.filter((o) => !o.met))).toBe(0)
  return result
}

describe('regional-disaster on the real engine', () => {
  const project = testProject()
  let topology: string
  beforeAll(() => {
    topology = tmp.write(`${project}.yaml`, embeddedTopologyAs(project))
  })
  afterAll(async () => {
    await firedrill(['down', '--project', project], LONG)
  })

  // Once here (it ran twice, 60 s more): shipped-drills.test.ts runs it again on a copy an earlier drill
  // already used (run --parallel 3 reuses a slot's copy), so "on a topology already drilled" is held there.
  it('promotes busan by breaking the glass on one topology, which then still serves kill-primary; down leaves nothing', async () => {
    for (const run of [1]) {
      const result = await runRegionalDisaster(topology)
      expect(result, `run ${run}`).toMatchObject({
        drill: 'regional-disaster',
        topology: project,
        verdict: 'pass',
        // The critical tier's region objectives (drills/policy.yaml), and no split brain.
        objectives: {rto_ms: 300_000, rpo_ms: 30_000, split_brain: false},
      })
      expect(result.results.every((o) => o.met)).toBe(true)
      // Every assert ran: nothing promoted busan on its own, busan served, seoul came back as a standby, busan's tags undone.
      expect(result.results.filter((o) => o.objective.startsWith('assert:'))).toHaveLength(4)
      const m = result.measurements
      // RPO is measured, not assumed: a read-back happened, so the figures are numbers (busan is asynchronous: they may be above 0).
      expect(m.rpo_ms).toEqual(expect.any(Number))
      expect(m.lost_writes).toEqual(expect.any(Number))
      expect(m.rpo_ms!).toBeLessThanOrEqual(30_000)
      expect(m.acked_writes).toBeGreaterThan(100)
      expect(m.rto_ms).toBeGreaterThan(10_000) // at least the 10 s in which nothing may take over
      expect(m.rto_ms).toBeLessThan(300_000)
      expect(m.split_brain).toMatchObject({periods: 0})
      const details = result.timeline.map((e) => `${e.kind}: ${e.detail}`)
      expect(details).toContainEqual(expect.stringMatching(/^manual: manual step "Promote busan .*ran its ci action \["bank-promote-survivor"/))
      expect(details).toContainEqual(expect.stringMatching(/^leader-change: writes served by postgres-busan \(before: postgres-seoul\)$/))
      expect(details).toContainEqual(expect.stringMatching(/^read-back: \d+ rows read back from postgres-seoul$/))
      expect(result.reverts).toEqual([expect.objectContaining({ok: true}), expect.objectContaining({ok: true})])
    }

    const status = JSON.parse((await firedrill(['status', '--topology', topology, '--json'])).stdout)
    expect(status.healthy, JSON.stringify(status.problems)).toBe(true)
    const roles = Object.fromEntries(status.instances.filter((i: {service: string}) => i.service === 'postgres').map((i: {site: string; role: string}) => [i.site, i.role]))
    expect(roles).toEqual({seoul: 'leader', gyeonggi: 'sync_standby', busan: 'replica'})

    const next = await firedrill(['run', 'drills/kill-primary.yaml', '--topology', topology, '--keep', '--ci'], LONG)
    expect(next.exitCode, next.stdout).toBe(0)

    const down = await firedrill(['down', '--topology', topology, '--json'], LONG)
    expect(down.exitCode).toBe(0)
    expect(await labelled(project)).toEqual(NOTHING)
  })
})
