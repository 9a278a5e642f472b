import {describe, expect, it} from 'vitest'

import {NO_IMPACT_GRACE_MS, waitRecovered} from '../../src/drill/waits.js'
import type {Sample} from '../../src/model/sample.js'
import {FakeClock} from '../support/fake-clock.js'

/** A probe's samples as they complete on the clock: each is pushed at its end, one at a time. */
function feed(clock: FakeClock, planned: Sample[]): Sample[] {
  const samples: Sample[] = []
  void (async () => {
    for (const s of planned) {
      await clock.sleep(s.end - clock.now())
      samples.push(s)
    }
  })()
  return samples
}

const ok = (seq: number, start: number, end = start + 30): Sample => ({seq, start, end, outcome: 'ok', node: 'postgres-seoul'})

describe('wait: recovered', () => {
  it('does not call a fault harmless while the first write it affects is still in flight (the partition flake of 2026-12-01, replayed)', async () => {
    // The real run: the partition's engine call began at 2494.86 ms and returned at 3847.12 ms (rules in six
    // containers); writes kept succeeding until 3632 ms; the write started at 3723.85 ms hung until its 1 s
    // timeout. Here nobody takes over until 12 s, then writes succeed again.
    const clock = new FakeClock()
    const faultAt = 2494.86
    const settled = 3847.12
    const planned: Sample[] = []
    let seq = 0
    for (let t = 0; t < 3600; t += 100) planned.push(ok(++seq, t))
    planned.push({seq: ++seq, start: 3723.85, end: 4724.95, outcome: 'indeterminate', node: 'postgres-seoul'})
    for (let t = 4800; t < 12_000; t += 1000) planned.push({seq: ++seq, start: t, end: t + 1000, outcome: 'indeterminate'})
    for (let t = 12_000; t < 13_000; t += 100) planned.push(ok(++seq, t))
    const samples = feed(clock, planned)
    await clock.sleep(3847.5)
    const status = await waitRecovered([{name: 'probe', samples, stableSamples: 3}], faultAt, settled, 60_000, clock, undefined, () => {})
    expect(status).toBe('done')
    // Not at faultAt + 2 s (4.49 s), on the successes from before the partition took effect: after the recovery.
    expect(clock.now()).toBeGreaterThanOrEqual(12_230)
  })

  it('a fault with no effect: done once a stable run that began after it was in place is seen, and the grace has passed since then', async () => {
    const clock = new FakeClock()
    const planned: Sample[] = []
    for (let t = 0, seq = 0; t < 20_000; t += 100) planned.push(ok(++seq, t))
    const samples = feed(clock, planned)
    await clock.sleep(3000)
    const status = await waitRecovered([{name: 'probe', samples, stableSamples: 3}], 1000, 2500, 60_000, clock, undefined, () => {})
    expect(status).toBe('done')
    expect(clock.now()).toBeGreaterThanOrEqual(2500 + NO_IMPACT_GRACE_MS)
    expect(clock.now()).toBeLessThan(2500 + NO_IMPACT_GRACE_MS + 200)
  })

  it('times out when the probe never recovers', async () => {
    const clock = new FakeClock()
    const planned: Sample[] = []
    for (let t = 0, seq = 0; t < 20_000; t += 1000) planned.push({seq: ++seq, start: t, end: t + 1000, outcome: 'failed'})
    const samples = feed(clock, planned)
    expect(await waitRecovered([{name: 'probe', samples, stableSamples: 3}], 0, 100, 5000, clock, undefined, () => {})).toBe('timed-out')
  })
})
