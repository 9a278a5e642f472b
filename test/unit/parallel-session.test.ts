import {afterEach, beforeEach, describe, expect, it, vi} from 'vitest'

import type {LoadedDrill} from '../../src/config/load-drill.js'
import type {Topology} from '../../src/model/topology.js'

// runParallel's scheduling with the engine-facing parts replaced: bring-up, teardown and the runner
// record what they were asked and when, so the order of things is checked without Docker.

const events: string[] = []
let upRunning = 0
let upMost = 0
let drillRunning = 0
let drillMost = 0
let failDrill: string | undefined
/** An event the slow drill waits for before it ends (instead of being slow by the clock, which load defeats). */
let slowUntil: string | undefined
const tick = (n = 1) => new Promise((resolve) => setTimeout(resolve, n))
const slowDrill = async () => {
  const deadline = Date.now() + 5000
  while (slowUntil !== undefined && !events.includes(slowUntil) && Date.now() < deadline) await tick(1)
  await tick(40)
}

vi.mock('../../src/topology/lifecycle.js', () => ({
  bringUp: vi.fn(async (topology: Topology) => {
    upRunning++
    upMost = Math.max(upMost, upRunning)
    events.push(`up ${topology.project}`)
    await tick(5)
    upRunning--
    events.push(`healthy ${topology.project}`)
    return {project: topology.project, created: true, duration_ms: 5}
  }),
  // Called before a copy comes up (what a killed run left) and at the end; the first call per copy finds nothing.
  removeCopy: vi.fn(async (topology: Topology) => {
    if (events.includes(`up ${topology.project}`)) events.push(`down ${topology.project}`)
    return {project: topology.project, containers: 0, networks: 0, volumes: 0}
  }),
  tearDown: vi.fn(async () => {
    throw new Error('a copy is removed by removeCopy (its copy-of label), never by its project name alone')
  }),
}))

vi.mock('../../src/drill/runner.js', () => ({
  partialResultOf: () => undefined,
  runDrill: vi.fn(async (loaded: LoadedDrill, ctx: {runId: string}) => {
    drillRunning++
    drillMost = Math.max(drillMost, drillRunning)
    events.push(`run ${loaded.drill.name} on ${loaded.topology.project}`)
    await (loaded.drill.name === 'slow' ? slowDrill() : tick(10))
    drillRunning--
    if (loaded.drill.name === failDrill) throw new Error(`${loaded.drill.name} broke`)
    events.push(`done ${loaded.drill.name}`)
    return {drill: loaded.drill.name, run_id: ctx.runId, topology: loaded.topology.project, verdict: 'pass'}
  }),
}))

const {loadDrill} = await import('../../src/config/load-drill.js')
const {runParallel} = await import('../../src/session/session.js')
const {tempDir, tinyPauseDrill, tinyPostgresTopology} = await import('../support/files.js')

let tmp: ReturnType<typeof tempDir>
let drills: LoadedDrill[]
let strangers: {name: string}[] = []
const engine = {info: vi.fn(async () => ({})), listNetworks: vi.fn(async () => []), listContainers: vi.fn(async (filter: string[]) => (filter[0] === 'io.firedrill.project=tiny-p2' ? strangers : []))}
beforeEach(() => {
  tmp = tempDir()
  events.length = 0
  upRunning = upMost = drillRunning = drillMost = 0
  failDrill = undefined
  slowUntil = undefined
  strangers = []
  const topology = tmp.write('tiny.yaml', tinyPostgresTopology('tiny'))
  drills = ['slow', 'b', 'c', 'd'].map((n) => loadDrill(tmp.write(`${n}.yaml`, tinyPauseDrill(n, topology))))
})
afterEach(() => tmp.cleanup())

describe('runParallel', () => {
  it('brings copies up one at a time, runs drills side by side on them, reuses a slot\'s copy, removes every copy, keeps the drills\' order', async () => {
    // The slow drill on copy 1 lasts until d is done, so b, c and d all run on copy 2 whatever the load.
    slowUntil = 'done d'
    const results = await runParallel(drills, {engine: engine as never, parallel: 2})
    expect(results.map((r) => r.drill)).toEqual(['slow', 'b', 'c', 'd'])
    expect(upMost).toBe(1)
    expect(drillMost).toBe(2)
    // Two copies for four drills: slot 2's copy is reused by the drills after b.
    expect(events.filter((e) => e.startsWith('up '))).toEqual(['up tiny-p1', 'up tiny-p2'])
    expect(events.indexOf('up tiny-p2')).toBeGreaterThan(events.indexOf('healthy tiny-p1'))
    // The slow drill on copy 1 was already running while copy 2 came up.
    expect(events.indexOf('run slow on tiny-p1')).toBeLessThan(events.indexOf('up tiny-p2'))
    expect(results.map((r) => r.topology)).toEqual(['tiny-p1', 'tiny-p2', 'tiny-p2', 'tiny-p2'])
    expect(events.filter((e) => e.startsWith('down ')).sort()).toEqual(['down tiny-p1', 'down tiny-p2'])
    expect(events.slice(-2).every((e) => e.startsWith('down '))).toBe(true)
  })

  it('one drill failing: nothing new starts, the one beside it finishes, every copy is removed, the failure is thrown', async () => {
    failDrill = 'b'
    await expect(runParallel(drills, {engine: engine as never, parallel: 2})).rejects.toThrow('b broke')
    expect(events).toContain('done slow')
    expect(events.some((e) => e.startsWith('run c') || e.startsWith('run d'))).toBe(false)
    expect(events.filter((e) => e.startsWith('down ')).sort()).toEqual(['down tiny-p1', 'down tiny-p2'])
  })

  it('--repeat: a drill\'s runs one after another on its own copy, results grouped per drill', async () => {
    const results = await runParallel(drills.slice(0, 2), {engine: engine as never, parallel: 3, repeat: 2})
    expect(results.map((r) => `${r.drill}@${r.topology}`)).toEqual(['slow@tiny-p1', 'slow@tiny-p1', 'b@tiny-p2', 'b@tiny-p2'])
    // Never more copies than drills.
    expect(events.filter((e) => e.startsWith('up '))).toEqual(['up tiny-p1', 'up tiny-p2'])
  })

  it('a topology someone named like a copy (not labelled as one) is refused, not drilled on and not removed', async () => {
    strangers = [{name: 'fd-tiny-p2-postgres-east'}]
    await expect(runParallel(drills.slice(0, 2), {engine: engine as never, parallel: 2})).rejects.toThrow('topology tiny-p2 exists (fd-tiny-p2-postgres-east) and is not a copy run --parallel made')
    expect(events.filter((e) => e.startsWith('up '))).toEqual(['up tiny-p1'])
    expect(events.filter((e) => e.startsWith('down '))).toEqual(['down tiny-p1'])
  })
})
