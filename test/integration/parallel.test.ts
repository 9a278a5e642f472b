import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {DockerEngine} from '../../src/engine/docker.js'
import {firedrill, firedrillInterrupted} from '../support/cli.js'
import {labelled, NOTHING, testProject} from '../support/docker.js'
import {tempDir, tinyPauseDrill, tinyPostgresTopology} from '../support/files.js'

// run --parallel 2 on two cheap drills (one PostgreSQL, a 2 s freeze each): each runs on its own copy
// of the topology, both are graded, the two ran side by side, and nothing of either copy is left.

const LONG = {timeout: 240_000}
let tmp: ReturnType<typeof tempDir>
const project = testProject()
const copies = [`${project}-p1`, `${project}-p2`]
beforeAll(() => {
  tmp = tempDir()
})
afterAll(async () => {
  // Whatever the test saw, leave nothing: the copies are removed by the run itself (checked in the test).
  for (const p of [project, ...copies]) await firedrill(['down', '--project', p], LONG)
  tmp.cleanup()
}, LONG.timeout)

interface Out {
  drill: string
  topology: string
  verdict: string
  status?: string
  timeline: {t_ms: number; kind: string; detail: string}[]
  started_at: string
  finished_at: string
  measurements: {rto_ms: number | null; lost_writes: number | null}
}

describe('run --parallel 2', () => {
  it('runs two drills at once, each on its own copy (own project and networks), brought up one at a time; grades both; removes both copies', async () => {
    const topology = tmp.write(`${project}.yaml`, tinyPostgresTopology(project))
    // par-a outlasts par-b's bring-up (about 5 s here), so the two drills overlap however the load goes.
    const a = tmp.write('a.yaml', tinyPauseDrill('par-a', topology, {pause: '8s'}))
    const b = tmp.write('b.yaml', tinyPauseDrill('par-b', topology, {pause: '2s'}))
    const started = Date.now()
    // JSON on stdout; progress (plain lines under --ci) and the table on stderr.
    const r = await firedrill(['run', a, b, '--parallel', '2', '--ci', '--reporter', 'json,table'], LONG)
    const wall = Date.now() - started
    expect(r.exitCode, r.stderr).toBe(0)
    const out = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Out)
    expect(out.map((o) => [o.drill, o.verdict])).toEqual([
      ['par-a', 'pass'],
      ['par-b', 'pass'],
    ])
    // Each on a copy of its own; the topology itself was never brought up.
    expect(out.map((o) => o.topology)).toEqual(copies)
    for (const o of out) {
      expect(o.measurements.rto_ms).toBeGreaterThan(0)
      expect(o.measurements.lost_writes).toBe(0)
    }
    // Side by side: par-b started before par-a finished.
    const [x, y] = out.map((o) => [Date.parse(o.started_at), Date.parse(o.finished_at)] as const)
    expect(y![0]).toBeLessThan(x![1])
    // Progress: each line prefixed with its copy and drill; copy 2's containers created only once copy 1 was healthy.
    const lines = r.stderr.split('\n')
    const healthy1 = lines.findIndex((l) => l.includes('✔ [p1 par-a] Wait until healthy'))
    const create2 = lines.findIndex((l) => l.includes('[p2 par-b] Create 1 containers'))
    expect(healthy1, r.stderr).toBeGreaterThanOrEqual(0)
    expect(create2, r.stderr).toBeGreaterThan(healthy1)
    expect(lines.some((l) => l.includes('[p2 par-b] Step 2/5: pause service=postgres'))).toBe(true)
    // Each verdict as soon as it is graded, par-b's (shorter freeze) before par-a's.
    const graded = (d: string) => lines.findIndex((l) => l.startsWith(`${d}: PASS  RTO`))
    expect(graded('par-b'), r.stderr).toBeGreaterThanOrEqual(0)
    expect(graded('par-a')).toBeGreaterThan(graded('par-b'))
    expect(lines.some((l) => l.includes(`Remove topology ${copies[0]}`)) && lines.some((l) => l.includes(`Remove topology ${copies[1]}`))).toBe(true)
    for (const p of [project, ...copies]) expect(await labelled(p)).toEqual(NOTHING)
    console.log(`run --parallel 2 (par-a 8 s freeze, par-b 2 s freeze): ${(wall / 1000).toFixed(1)} s wall`)
  }, LONG.timeout)

  it('SIGTERM while the drill on copy 1 has its database frozen: exit 143, both copies removed, nothing left', async () => {
    const topology = tmp.write(`${project}.yaml`, tinyPostgresTopology(project))
    const a = tmp.write('a.yaml', tinyPauseDrill('par-a', topology, {pause: '30s'}))
    const b = tmp.write('b.yaml', tinyPauseDrill('par-b', topology, {pause: '30s'}))
    const r = await firedrillInterrupted(['run', a, b, '--parallel', '2', '--ci'], /\[p1 par-a\] Step 3\/5/, 'SIGTERM', LONG.timeout)
    expect(r.exitCode, r.stderr).toBe(143)
    expect(r.stderr).toContain('SIGTERM received: stopping and undoing what was changed')
    expect(r.stderr).toContain(`Remove topology ${copies[0]}`)
    for (const p of [project, ...copies]) expect(await labelled(p)).toEqual(NOTHING)
  }, LONG.timeout)

  it('SIGKILL with both copies frozen: the copies\' journals refuse the next run; cleanup of the topology restores and removes both copies', async () => {
    const topology = tmp.write(`${project}.yaml`, tinyPostgresTopology(project))
    const a = tmp.write('a.yaml', tinyPauseDrill('par-a', topology, {pause: '5m'}))
    const b = tmp.write('b.yaml', tinyPauseDrill('par-b', topology, {pause: '5m'}))
    const killed = await firedrillInterrupted(['run', a, b, '--parallel', '2', '--ci'], /\[p2 par-b\] Step 3\/5/, 'SIGKILL', LONG.timeout)
    expect(killed.exitCode).toBeUndefined()
    const engine = new DockerEngine()
    try {
      for (const copy of copies) {
        const [container] = await engine.listContainers([`io.firedrill.project=${copy}`])
        expect(container?.state, copy).toBe('paused')
      }
    } finally {
      engine.close()
    }
    const refused = await firedrill(['run', a, b, '--parallel', '2', '--ci'], LONG)
    expect(refused.exitCode).toBe(2)
    expect(refused.stderr).toContain(`firedrill cleanup --project ${copies[0]}`)
    const cleaned = await firedrill(['cleanup', '--project', project, '--json'], LONG)
    expect(cleaned.exitCode, cleaned.stderr).toBe(0)
    const body = JSON.parse(cleaned.stdout) as {copies: {project: string; failures: string[]; actions: string[]; removed: {containers: number} | null}[]}
    expect(body.copies.map((c) => c.project)).toEqual(copies)
    for (const c of body.copies) {
      expect(c.failures).toEqual([])
      expect(c.actions.join('\n')).toMatch(/unpause/)
      expect(c.removed?.containers).toBe(1)
    }
    for (const p of [project, ...copies]) expect(await labelled(p)).toEqual(NOTHING)
  }, LONG.timeout)
})
