import {afterEach, describe, expect, it, vi} from 'vitest'

// A fake PostgreSQL client: the node named `writable` accepts writes, the others are in recovery; the
// node named `frozen` takes connections and queries and never answers (a paused container). Queries
// overlapping on one client are counted.
const state = {writable: undefined as string | undefined, frozen: undefined as string | undefined, overlapping: 0, queryMs: 1}
const never = new Promise<never>(() => {})
vi.mock('pg', () => {
  class Client {
    private busy = false
    constructor(private readonly opts: {host: string}) {}
    on() {}
    async connect() {
      if (state.frozen === this.opts.host) await never
    }
    async end() {}
    async query(sql: string) {
      if (state.frozen === this.opts.host) await never
      if (this.busy) state.overlapping++
      this.busy = true
      await new Promise((resolve) => setTimeout(resolve, state.queryMs))
      this.busy = false
      if (sql.startsWith('SELECT pg_is_in_recovery')) return {rows: [{recovery: state.writable !== this.opts.host}]}
      if (state.writable !== this.opts.host) throw Object.assign(new Error('read-only'), {code: '25006'})
      return {rows: []}
    }
  }
  return {default: {Client}}
})

const {PostgresWriteProbe} = await import('../../src/probes/postgres/write-probe.js')
const {postgresWriteSchema: probeSchema} = await import('../../src/probes/postgres/schema.js')
const {systemClock} = await import('../../src/util/time.js')

afterEach(() => {
  vi.useRealTimers()
  state.writable = undefined
  state.frozen = undefined
  state.overlapping = 0
  state.queryMs = 1
})

/** A probe on fake timers, started with node `a` accepting writes. */
async function startedProbe(timing: {interval: string; timeout: string}, nodes: () => Promise<{name: string; address: string}[]>) {
  vi.useFakeTimers({toFake: ['setTimeout', 'clearTimeout', 'performance']})
  // The probe waits through its clock: this one sleeps on the (fake) timers.
  const clock = {now: () => performance.now(), wall: () => '', sleep: systemClock.sleep}
  const spec = probeSchema.parse({kind: 'postgres-write', service: 'postgres', password: 'x', ...timing})
  const probe = new PostgresWriteProbe(spec, 'run', nodes, clock)
  state.writable = 'a'
  const starting = probe.start()
  await vi.advanceTimersByTimeAsync(50)
  await starting
  return probe
}

describe('write probe pacing while no node accepts writes', () => {
  it.each([100, 10])('at %i ms: one sample per interval, not one per two', async (interval) => {
    const nodes = [
      {name: 'a', address: 'a'},
      {name: 'b', address: 'b'},
    ]
    const probe = await startedProbe({interval: `${interval}ms`, timeout: '500ms'}, async () => nodes)
    // The primary freezes: no node accepts writes for 2 s.
    state.frozen = 'a'
    await vi.advanceTimersByTimeAsync(2000)
    const stopping = probe.stop()
    await vi.advanceTimersByTimeAsync(2 * interval)
    await stopping
    // The first write to the frozen node times out (500 ms, indeterminate); after it, each sample
    // looks for a writable node until the next is due and fails: one per interval (it was one per two).
    const failed = probe.samples.filter((s) => s.outcome === 'failed')
    const gaps = failed.slice(1).map((s, i) => s.start - failed[i]!.start)
    expect(probe.samples.filter((s) => s.outcome === 'indeterminate')).toHaveLength(1)
    expect(failed.length).toBeGreaterThan((2000 - 500) / interval - 2)
    expect(Math.max(...gaps)).toBeLessThan(1.5 * interval)
    expect(state.overlapping).toBe(0)
  })

  it('keeps sampling (failed, saying why) when its nodes can no longer be listed: the engine gone', async () => {
    let listed = 0
    const probe = await startedProbe({interval: '100ms', timeout: '200ms'}, async () => {
      if (listed++ > 0) throw new Error('cannot reach the Docker engine')
      return [{name: 'a', address: 'a'}]
    })
    // Its one node stops answering: the connection is dropped, and listing the nodes again fails.
    state.frozen = 'a'
    await vi.advanceTimersByTimeAsync(1000)
    const stopping = probe.stop()
    await vi.advanceTimersByTimeAsync(300)
    await stopping
    expect(listed).toBeGreaterThan(1)
    expect(probe.samples.at(-1)).toMatchObject({outcome: 'failed', error: expect.stringMatching(/nodes could not be listed: cannot reach the Docker engine$/)})
  })

  it('asks each node one question at a time, even when answers take longer than the interval', async () => {
    vi.useFakeTimers({toFake: ['setTimeout', 'clearTimeout', 'performance']})
    // The probe waits through its clock: this one sleeps on the (fake) timers.
    const clock = {now: () => performance.now(), wall: () => '', sleep: systemClock.sleep}
    const spec = probeSchema.parse({kind: 'postgres-write', service: 'postgres', password: 'x', interval: '10ms', timeout: '500ms'})
    const probe = new PostgresWriteProbe(spec, 'run', async () => [{name: 'a', address: 'a'}, {name: 'b', address: 'b'}], clock)
    state.writable = 'a'
    const starting = probe.start()
    await vi.advanceTimersByTimeAsync(50)
    await starting
    // Every node read-only, each answer 25 ms away: samples fail every 10 ms while questions are in flight.
    state.writable = undefined
    state.queryMs = 25
    await vi.advanceTimersByTimeAsync(1000)
    const stopping = probe.stop()
    await vi.advanceTimersByTimeAsync(100)
    await stopping
    expect(probe.samples.filter((s) => s.outcome === 'failed').length).toBeGreaterThan(50)
    expect(state.overlapping).toBe(0)
  })
})
