import {existsSync} from 'node:fs'

import {afterEach, beforeEach, describe, expect, it, vi} from 'vitest'

// A fake PostgreSQL: the node whose host is in `writable` takes writes (and keeps them for the
// read-back), the others are in recovery; a node whose container is paused takes connections and
// queries and answers only once thawed.
const pgState = {writable: 'seoul', frozen: new Set<string>(), rows: new Set<number>()}
const thawed = async (host: string) => {
  while (pgState.frozen.has(host)) await new Promise((resolve) => setTimeout(resolve, 10))
}
vi.mock('pg', () => {
  class Client {
    constructor(private readonly opts: {host: string}) {}
    on() {}
    async connect() {
      await thawed(this.opts.host)
    }
    async end() {}
    async query(sql: string, params: unknown[] = []) {
      await thawed(this.opts.host)
      await new Promise((resolve) => setTimeout(resolve, 1))
      if (sql.startsWith('SELECT pg_is_in_recovery')) return {rows: [{recovery: pgState.writable !== this.opts.host}]}
      if (sql.startsWith('CREATE')) return {rows: []}
      if (pgState.writable !== this.opts.host) throw Object.assign(new Error('read-only'), {code: '25006'})
      if (sql.startsWith('INSERT')) pgState.rows.add(Number(params[1]))
      if (sql.startsWith('SELECT seq')) return {rows: [...pgState.rows].map((seq) => ({seq: String(seq)}))}
      return {rows: []}
    }
  }
  return {default: {Client}}
})

const {loadDrill} = await import('../../src/config/load-drill.js')
const {runDrill, partialResultOf} = await import('../../src/drill/runner.js')
const {readJournal} = await import('../../src/drill/journal.js')
const {cleanup} = await import('../../src/drill/cleanup.js')
const {DeadlineExceededError, DrillAbortedError, EngineLostError, EngineUnavailableError, InterruptedError} = await import('../../src/errors.js')
const {tempDir} = await import('../support/files.js')
type Engine = import('../../src/engine/engine.js').Engine
type ContainerSummary = import('../../src/engine/engine.js').ContainerSummary

const PROJECT = 'fdunit'
const TOPOLOGY = `name: ${PROJECT}
sites:
  seoul: {role: primary}
  busan: {role: replica}
services:
  postgres:
    sites: [seoul, busan]
    image: firedrill/bank-node:15
`
const drillText = (extra: string, steps: string) => `name: unit
${extra}objectives: {rto: 30s}
probe:
  kind: postgres-write
  service: postgres
  interval: 50ms
  timeout: 200ms
steps:
${steps}`

/**
 * An engine in memory: two postgres containers, pause and unpause (which freeze and thaw the fake
 * PostgreSQL), and a switch that makes every call fail as an unreachable engine does.
 */
function fakeEngine() {
  const state = {paused: new Set<string>(), gone: false, onPause: () => {}}
  const reachable = (what: string) => {
    if (state.gone) throw new EngineUnavailableError(`cannot reach the Docker engine at unix:///fake.sock (ENOENT) while trying to ${what}`)
  }
  const containers = (): ContainerSummary[] =>
    ['seoul', 'busan'].map((site) => ({
      id: `id-${site}`,
      name: `fd-${PROJECT}-postgres-${site}`,
      image: 'firedrill/bank-node:15',
      state: state.paused.has(`id-${site}`) ? 'paused' : 'running',
      health: 'none',
      labels: {'io.firedrill.project': PROJECT},
      addresses: {[`fd-${PROJECT}-wan`]: site},
    }))
  const engine = {
    info: async () => ({version: '20.10', apiVersion: '1.41', os: 'linux'}),
    listContainers: async (filters: string[]) => {
      reachable('list containers')
      // Network-fault helpers are asked for with a second label: there are none.
      return filters.length > 1 ? [] : containers()
    },
    pauseContainer: async (id: string) => {
      reachable(`pause container ${id}`)
      state.paused.add(id)
      pgState.frozen.add(id.replace('id-', ''))
      state.onPause()
    },
    unpauseContainer: async (id: string) => {
      reachable(`unpause container ${id}`)
      state.paused.delete(id)
      pgState.frozen.delete(id.replace('id-', ''))
    },
  }
  return {engine: engine as unknown as Engine, state}
}

let tmp: ReturnType<typeof tempDir>
beforeEach(() => {
  tmp = tempDir()
  pgState.writable = 'seoul'
  pgState.frozen.clear()
  pgState.rows.clear()
})
afterEach(() => tmp.cleanup())

const load = (text: string) => loadDrill(tmp.write('drill.yaml', text), {topology: tmp.write('topology.yaml', TOPOLOGY)})
const context = (engine: Engine) => ({engine, engineInfo: {version: '20.10', apiVersion: '1.41', os: 'linux'}, runId: 'run-1', journalDir: tmp.dir})
const PAUSE_SEOUL = `  - sleep: 200ms
  - fault: pause
    target: {service: postgres, site: seoul}
`

describe('the runner with an engine in memory', () => {
  it('stops the steps at the drill’s deadline as on Ctrl-C, reverts, and records an aborted run naming the deadline', async () => {
    const {engine, state} = fakeEngine()
    // The primary frozen and a wait for a recovery that never comes, with ten minutes of its own.
    const loaded = load(drillText('deadline: 1500ms\n', `${PAUSE_SEOUL}  - wait: recovered\n    timeout: 10m\n`))
    const started = performance.now()
    const error = await runDrill(loaded, context(engine)).catch((e: unknown) => e)
    const took = performance.now() - started

    expect(error).toBeInstanceOf(DeadlineExceededError)
    expect((error as Error).message).toMatch(/^drill unit passed its deadline 1\.5s \(set in the drill\) during step 3\/3 \(wait until recovered \(at most 600\.00 s\)\): the steps were stopped/)
    expect(took).toBeGreaterThanOrEqual(1500)
    expect(took).toBeLessThan(5000)
    // Reverted: seoul thawed, the journal gone.
    expect(state.paused.size).toBe(0)
    expect(readJournal(PROJECT, tmp.dir)).toBeUndefined()
    const partial = partialResultOf(error)!
    expect(partial).toMatchObject({status: 'aborted', verdict: 'fail', error: expect.stringMatching(/deadline 1\.5s/)})
    expect(partial.measurements).toMatchObject({rto_ms: null, rpo_ms: null, impact_ms: null, lost_writes: null})
    expect(partial.reverts).toEqual([{description: expect.stringMatching(/fd-fdunit-postgres-seoul/), ok: true}])
    expect(partial.steps.map((s) => s.status)).toEqual(['done', 'done', 'skipped'])
    expect(partial.timeline[0]!.detail).toMatch(/deadline 1\.5s \(set in the drill\)$/)
    expect(partial.results.every((r) => !r.met && r.measured === 'not measured')).toBe(true)
  })

  it('a drill done before its deadline is measured as usual', async () => {
    const {engine} = fakeEngine()
    const loaded = load(drillText('deadline: 30s\n', `${PAUSE_SEOUL}  - sleep: 300ms\n  - heal: all\n  - wait: recovered\n    timeout: 10s\n`))
    const result = await runDrill(loaded, context(engine))
    expect(result.status).toBe('completed')
    expect(result.measurements.rto_ms).toBeGreaterThan(0)
    expect(result.measurements.lost_writes).toBe(0)
  }, 20_000)

  it('the engine lost mid-drill: aborted, no figures, the unrevertable fault left in the journal and named; cleanup restores it once the engine is back', async () => {
    const {engine, state} = fakeEngine()
    // The engine goes away while the drill waits for the topology to be healthy again.
    state.onPause = () => void setTimeout(() => (state.gone = true), 300)
    const loaded = load(drillText('', `${PAUSE_SEOUL}  - wait: healthy\n    timeout: 10m\n`))
    const started = performance.now()
    const error = await runDrill(loaded, context(engine)).catch((e: unknown) => e)
    expect(performance.now() - started).toBeLessThan(10_000)

    expect(error).toBeInstanceOf(EngineLostError)
    const message = (error as Error).message
    expect(message).toMatch(/^the Docker engine was lost mid-drill \(cannot reach the Docker engine at unix:\/\/\/fake\.sock \(ENOENT\) while trying to list containers\); the run is aborted and no RTO or RPO is reported\.\n/)
    expect(message).toContain(`1 fault(s) could not be reverted and may still be in place: pause fd-${PROJECT}-postgres-seoul.`)
    expect(message).toContain(`Restore with: firedrill cleanup --project ${PROJECT}`)
    expect((error as InstanceType<typeof EngineLostError>).suggestions[0]).toBe(`once the engine answers again (docker info): firedrill cleanup --project ${PROJECT}`)
    const partial = partialResultOf(error)!
    expect(partial).toMatchObject({status: 'aborted', verdict: 'fail'})
    expect(partial.measurements).toMatchObject({rto_ms: null, rpo_ms: null, lost_writes: null})
    expect(partial.reverts).toEqual([expect.objectContaining({ok: false, error: expect.stringMatching(/cannot reach the Docker engine/)})])
    // The journal stays for cleanup, which restores once the engine answers.
    expect(readJournal(PROJECT, tmp.dir)?.entries).toEqual([expect.objectContaining({fault: 'pause', state: 'injected'})])
    expect(state.paused).toEqual(new Set(['id-seoul']))
    state.gone = false
    const restored = await cleanup(PROJECT, engine, {dir: tmp.dir})
    expect(restored.failures).toEqual([])
    expect(state.paused.size).toBe(0)
    expect(existsSync(tmp.dir) && readJournal(PROJECT, tmp.dir)).toBeUndefined()
  })

  it('SIGTERM with a revert that fails: the error says what is left in place instead of "undone"; exit 143', async () => {
    const {engine, state} = fakeEngine()
    const controller = new AbortController()
    state.onPause = () => void setTimeout(() => controller.abort(new InterruptedError('SIGTERM')), 200)
    ;(engine as unknown as {unpauseContainer: () => Promise<void>}).unpauseContainer = async () => {
      throw new Error('container is being removed')
    }
    const loaded = load(drillText('', `${PAUSE_SEOUL}  - wait: recovered\n    timeout: 10m\n`))
    const error = await runDrill(loaded, {...context(engine), signal: controller.signal}).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(InterruptedError)
    expect((error as InstanceType<typeof InterruptedError>).exitCode).toBe(143)
    expect((error as Error).message).toBe(
      `interrupted by SIGTERM; 1 fault(s) could not be reverted and may still be in place: pause fd-${PROJECT}-postgres-seoul. Restore with: firedrill cleanup --project ${PROJECT}`,
    )
    expect(partialResultOf(error)).toMatchObject({status: 'interrupted', reverts: [expect.objectContaining({ok: false})]})
  })

  it('a step that fails on an error not of firedrill’s own is an aborted run (exit 4), not an internal error', async () => {
    const {engine} = fakeEngine()
    ;(engine as unknown as {pauseContainer: () => Promise<void>}).pauseContainer = async () => {
      throw new Error('conflict: container is restarting')
    }
    const error = await runDrill(load(drillText('', PAUSE_SEOUL)), context(engine)).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(DrillAbortedError)
    expect((error as InstanceType<typeof DrillAbortedError>).exitCode).toBe(4)
    expect((error as Error).message).toMatch(/^drill unit aborted: .*conflict: container is restarting/)
    expect(partialResultOf(error)).toMatchObject({status: 'aborted', verdict: 'fail'})
  })
})
