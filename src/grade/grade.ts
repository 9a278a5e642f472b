import {formatMs} from '../config/duration.js'
import type {Measurements} from '../measure/measure.js'

export interface Objectives {
  rtoMs?: number
  rpoMs?: number
}

export interface ObjectiveResult {
  objective: 'rto' | 'rpo'
  /** The objective, in milliseconds. */
  target_ms: number
  /** What was measured, in milliseconds; null when it could not be measured. */
  measured_ms: number | null
  met: boolean
  /** Why, in one sentence a person reads in a verdict table or a JUnit failure. */
  reason: string
}

export interface Grade {
  verdict: 'pass' | 'fail'
  results: ObjectiveResult[]
}

/** Pure: objectives and measurements in, a verdict per objective and for the drill out. */
export function grade(objectives: Objectives, m: Measurements): Grade {
  const results: ObjectiveResult[] = []
  if (objectives.rtoMs !== undefined) {
    const target = objectives.rtoMs
    if (m.rto_ms === null) {
      results.push({objective: 'rto', target_ms: target, measured_ms: null, met: false, reason: 'service never recovered during the drill'})
    } else {
      const met = m.rto_ms <= target
      results.push({objective: 'rto', target_ms: target, measured_ms: m.rto_ms, met, reason: `recovered after ${formatMs(m.rto_ms)} (${met ? 'within' : 'over'} ${formatMs(target)})`})
    }
  }
  if (objectives.rpoMs !== undefined) {
    const target = objectives.rpoMs
    if (m.rpo_ms === null || m.lost_writes === null) {
      results.push({objective: 'rpo', target_ms: target, measured_ms: null, met: false, reason: 'written data could not be read back, so loss is unknown'})
    } else if (m.lost_writes > 0 && target === 0) {
      results.push({objective: 'rpo', target_ms: target, measured_ms: m.rpo_ms, met: false, reason: `${m.lost_writes} acknowledged writes lost; the objective allows none`})
    } else {
      const met = m.rpo_ms <= target
      const loss = m.lost_writes === 0 ? 'no acknowledged write lost' : `${m.lost_writes} acknowledged writes lost, the oldest acknowledged ${formatMs(m.rpo_ms)} before the fault`
      results.push({objective: 'rpo', target_ms: target, measured_ms: m.rpo_ms, met, reason: `${loss} (${met ? 'within' : 'over'} ${formatMs(target)})`})
    }
  }
  return {verdict: results.every((r) => r.met) ? 'pass' : 'fail', results}
}
