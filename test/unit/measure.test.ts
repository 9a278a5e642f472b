import {describe, expect, it} from 'vitest'

import {measure} from '../../src/measure/measure.js'
import type {Outcome, Sample} from '../../src/model/sample.js'

/** Samples every 100 ms from t=0, each taking 10 ms; `o` ok, `x` failed, `?` indeterminate. */
function timeline(pattern: string, opts: {node?: (i: number) => string; interval?: number} = {}): Sample[] {
  const interval = opts.interval ?? 100
  const outcome: Record<string, Outcome> = {o: 'ok', x: 'failed', '?': 'indeterminate'}
  return [...pattern].map((c, i) => ({
    seq: i + 1,
    start: i * interval,
    end: i * interval + 10,
    outcome: outcome[c]!,
    node: opts.node?.(i) ?? 'a',
  }))
}

const all = (samples: Sample[]) => new Set(samples.filter((s) => s.outcome === 'ok').map((s) => s.seq))

describe('measure', () => {
  it('no loss: RTO from the fault to the start of the first stable success, impact at the first failure', () => {
    const samples = timeline('oooooxxxxxooooo', {node: (i) => (i < 5 ? 'a' : 'b')})
    const m = measure({samples, faultAt: 450, readBack: all(samples), stableSamples: 3, intervalMs: 100})
    expect(m.impact_ms).toBe(50) // first failure starts at 500
    expect(m.rto_ms).toBe(550) // sample 11 starts at 1000
    expect(m.lost_writes).toBe(0)
    expect(m.rpo_ms).toBe(0)
    expect(m.acked_writes).toBe(10)
    expect(m.failed_writes).toBe(5)
    expect(m.resolution_ms).toBe(100)
    expect(m.phases.map((p) => p.kind)).toEqual(['first-failure', 'first-ack', 'recovered', 'leader-change'])
  })

  it('loss: counts acknowledged writes missing from the read-back; RPO is fault minus the oldest lost acknowledgement', () => {
    const samples = timeline('oooooxxxooo')
    const present = all(samples)
    present.delete(4) // acknowledged at 310
    present.delete(5) // acknowledged at 410
    const m = measure({samples, faultAt: 450, readBack: present, stableSamples: 3, intervalMs: 100})
    expect(m.lost_writes).toBe(2)
    expect(m.lost_seqs).toEqual([4, 5])
    expect(m.rpo_ms).toBe(140)
  })

  it('indeterminate writes are counted apart, never as lost, and whether they landed is reported', () => {
    const samples = timeline('ooo???ooo')
    const present = all(samples)
    present.add(4)
    const m = measure({samples, faultAt: 250, readBack: present, stableSamples: 3, intervalMs: 100})
    expect(m.indeterminate_writes).toBe(3)
    expect(m.indeterminate_present).toBe(1)
    expect(m.lost_writes).toBe(0)
    expect(m.impact_ms).toBe(50)
    expect(m.rto_ms).toBe(350)
  })

  it('all indeterminate after the fault: never recovered', () => {
    const samples = timeline('ooo??????')
    const m = measure({samples, faultAt: 250, readBack: all(samples), stableSamples: 3, intervalMs: 100})
    expect(m.rto_ms).toBeNull()
    expect(m.indeterminate_writes).toBe(6)
  })

  it('never recovered: RTO is null, not a number', () => {
    const samples = timeline('oooxxxxxxxoo')
    const m = measure({samples, faultAt: 250, readBack: all(samples), stableSamples: 3, intervalMs: 100})
    expect(m.rto_ms).toBeNull()
    expect(m.impact_ms).toBe(50)
  })

  it('never recovered: a not-recovered phase at the last sample that was not ok says why, errors by count, most frequent first', () => {
    const samples = timeline('oooxx?xxxxox')
    const auth = 'HTTP 503: {"error": "auth unavailable: http://auth-pangyo:8081: [Errno -2] Name or service not known"}'
    for (const s of samples.slice(4)) if (s.outcome === 'failed') s.error = auth
    samples[3]!.error = 'ECONNRESET before the request was sent'
    samples[5]!.error = 'no answer within 1000 ms after the request was sent'
    samples[11]!.error = 'x'.repeat(300)
    const m = measure({samples, faultAt: 250, readBack: all(samples), stableSamples: 3, intervalMs: 100})
    expect(m.rto_ms).toBeNull()
    const stuck = m.phases.find((p) => p.kind === 'not-recovered')!
    expect(stuck.t).toBe(1100) // seq 12, the last one not ok
    expect(stuck.cause).toBe(`5 of 9 samples from the first failure on: failed: ${auth}`)
    expect(stuck.detail).toBe(
      `still failing when the probe stopped (last at seq 12, failed: ${'x'.repeat(200)}…); 8 of 9 samples from the first failure on were not ok: ` +
        `5 × failed: ${auth}; 1 × failed: ECONNRESET before the request was sent; 1 × indeterminate: no answer within 1000 ms after the request was sent; 1 × other errors`,
    )
    // A probe that recovered has no such phase.
    expect(measure({samples: timeline('oooxxooo'), faultAt: 250, readBack: all(timeline('oooxxooo')), stableSamples: 3, intervalMs: 100}).phases.map((p) => p.kind)).not.toContain('not-recovered')
  })

  it('flapping recovery: RTO ends at the first run of N successes, not at the first success', () => {
    const samples = timeline('oooxxoxooxooo')
    const m = measure({samples, faultAt: 250, readBack: all(samples), stableSamples: 3, intervalMs: 100})
    expect(m.rto_ms).toBe(1000 - 250) // run begins at sample 11 (start 1000)
    expect(m.phases.find((p) => p.kind === 'first-ack')?.t).toBe(500)
  })

  it('successes before the fault takes effect are not a recovery', () => {
    // The fault is injected at 250 but the first failure only shows at 700.
    const samples = timeline('ooooooo xxxooo'.replace(' ', ''))
    const m = measure({samples, faultAt: 250, readBack: all(samples), stableSamples: 3, intervalMs: 100})
    expect(m.impact_ms).toBe(450)
    expect(m.rto_ms).toBe(1000 - 250)
  })

  it('no failure at all: RTO and impact are zero', () => {
    const samples = timeline('oooooooo')
    const m = measure({samples, faultAt: 250, readBack: all(samples), stableSamples: 3, intervalMs: 100})
    expect(m.rto_ms).toBe(0)
    expect(m.impact_ms).toBe(0)
  })

  it('without a read-back, loss and RPO are unknown rather than zero', () => {
    const samples = timeline('oooxxooo')
    const m = measure({samples, faultAt: 250, stableSamples: 3, intervalMs: 100})
    expect(m.lost_writes).toBeNull()
    expect(m.rpo_ms).toBeNull()
  })

  it('a write lost after being acknowledged past the fault counts, with RPO floored at zero', () => {
    const samples = timeline('oooooxxooo')
    const present = all(samples)
    present.delete(5) // acknowledged at 410, after the fault at 350
    const m = measure({samples, faultAt: 350, readBack: present, stableSamples: 3, intervalMs: 100})
    expect(m.lost_writes).toBe(1)
    expect(m.rpo_ms).toBe(0)
  })

  it('a sample in flight across the fault can be the first failure', () => {
    const samples: Sample[] = [
      {seq: 1, start: 0, end: 10, outcome: 'ok'},
      {seq: 2, start: 100, end: 1100, outcome: 'indeterminate'},
      {seq: 3, start: 1100, end: 1110, outcome: 'ok'},
      {seq: 4, start: 1200, end: 1210, outcome: 'ok'},
      {seq: 5, start: 1300, end: 1310, outcome: 'ok'},
    ]
    const m = measure({samples, faultAt: 150, readBack: new Set([1, 3, 4, 5]), stableSamples: 3, intervalMs: 100})
    expect(m.impact_ms).toBe(0)
    expect(m.rto_ms).toBe(950)
  })
})
