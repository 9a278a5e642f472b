import {describe, expect, it} from 'vitest'

import {grade} from '../../src/grade/grade.js'
import type {Measurements} from '../../src/model/measurements.js'

const base: Measurements = {
  rto_ms: 9000,
  impact_ms: 40,
  rpo_ms: 0,
  lost_writes: 0,
  indeterminate_writes: 1,
  indeterminate_present: 1,
  acked_writes: 100,
  failed_writes: 80,
  resolution_ms: 100,
  lost_seqs: [],
  phases: [],
}

describe('grade', () => {
  it('passes when every objective is met', () => {
    const g = grade({rtoMs: 30_000, rpoMs: 0}, base)
    expect(g.verdict).toBe('pass')
    expect(g.results.map((r) => [r.objective, r.met])).toEqual([
      ['rto', true],
      ['rpo', true],
    ])
  })

  it('an RTO equal to the objective is met; one millisecond over is not', () => {
    expect(grade({rtoMs: 9000}, base).verdict).toBe('pass')
    expect(grade({rtoMs: 8999}, base).verdict).toBe('fail')
  })

  it('fails RTO when the service never recovered', () => {
    const g = grade({rtoMs: 30_000}, {...base, rto_ms: null})
    expect(g.verdict).toBe('fail')
    expect(g.results[0]).toMatchObject({measured_ms: null, met: false})
    expect(g.results[0]!.reason).toBe('service never recovered during the drill')
  })

  it('a never-recovered RTO says why when the samples do (the not-recovered phase of measure)', () => {
    const cause = '188 of 191 samples from the first failure on: failed: HTTP 503: {"error": "auth unavailable"}'
    const g = grade({rtoMs: 30_000}, {...base, rto_ms: null, phases: [{t: 9000, kind: 'not-recovered', detail: 'still failing …', cause}]})
    expect(g.results[0]!.reason).toBe(`service never recovered during the drill: ${cause}`)
  })

  it('an RPO of zero fails on any lost write, even one acknowledged after the fault', () => {
    const g = grade({rpoMs: 0}, {...base, lost_writes: 1, rpo_ms: 0, lost_seqs: [7]})
    expect(g.verdict).toBe('fail')
    expect(g.results[0]!.reason).toMatch(/1 acknowledged writes lost/)
  })

  it('a non-zero RPO objective is graded on the time window', () => {
    expect(grade({rpoMs: 5000}, {...base, lost_writes: 3, rpo_ms: 1200}).verdict).toBe('pass')
    expect(grade({rpoMs: 1000}, {...base, lost_writes: 3, rpo_ms: 1200}).verdict).toBe('fail')
  })

  it('fails RPO when loss is unknown (no read-back)', () => {
    const g = grade({rpoMs: 0}, {...base, lost_writes: null, rpo_ms: null})
    expect(g.verdict).toBe('fail')
    expect(g.results[0]!.reason).toMatch(/could not be read back/)
  })
})
