import {formatMs} from '../config/duration.js'
import type {Measurements, SplitBrain} from '../model/measurements.js'
import type {AssertOutcome, Grade, ObjectiveResult, Objectives, UnfinishedStep} from '../model/objectives.js'

export type {AssertOutcome, Grade, ObjectiveResult, Objectives, UnfinishedStep} from '../model/objectives.js'






/** Pure: objectives and measurements in, a verdict per objective and for the drill out. */
export function grade(
  objectives: Objectives,
  m: Measurements,
  extra: {
    splitBrain?: SplitBrain
    asserts?: readonly AssertOutcome[]
    unfinished?: readonly UnfinishedStep[]
    /** The nodes the probe found accepting writes once the drill was over (when its kind can tell). */
    writersAtEnd?: readonly string[]
  } = {},
): Grade {
  const results: ObjectiveResult[] = []
  if (objectives.rtoMs !== undefined) {
    const target = objectives.rtoMs
    const base = {objective: 'rto', target_ms: target, target: formatMs(target)}
    if (m.rto_ms === null) {
      // Why, when the samples say it: the errors that kept it down (measure's not-recovered phase).
      const why = m.phases.find((p) => p.kind === 'not-recovered')?.cause
      results.push({...base, measured_ms: null, measured: 'never recovered', met: false, reason: `service never recovered during the drill${why ? `: ${why}` : ''}`})
    } else {
      const met = m.rto_ms <= target
      results.push({
        ...base,
        measured_ms: m.rto_ms,
        measured: `${formatMs(m.rto_ms)} ± ${formatMs(m.resolution_ms)}`,
        met,
        reason: `recovered after ${formatMs(m.rto_ms)} (${met ? 'within' : 'over'} ${formatMs(target)})`,
      })
    }
  }
  if (objectives.rpoMs !== undefined) {
    const target = objectives.rpoMs
    const base = {objective: 'rpo', target_ms: target, target: formatMs(target)}
    if (m.rpo_ms === null || m.lost_writes === null) {
      results.push({...base, measured_ms: null, measured: 'unknown', met: false, reason: 'written data could not be read back, so loss is unknown'})
    } else {
      const measured = `${formatMs(m.rpo_ms)} (${m.lost_writes} lost)`
      if (m.lost_writes > 0 && target === 0) {
        results.push({...base, measured_ms: m.rpo_ms, measured, met: false, reason: `${m.lost_writes} acknowledged writes lost; the objective allows none`})
      } else {
        const met = m.rpo_ms <= target
        const loss = m.lost_writes === 0 ? 'no acknowledged write lost' : `${m.lost_writes} acknowledged writes lost, the oldest acknowledged ${formatMs(m.rpo_ms)} before the fault`
        results.push({...base, measured_ms: m.rpo_ms, measured, met, reason: `${loss} (${met ? 'within' : 'over'} ${formatMs(target)})`})
      }
    }
  }
  if (objectives.splitBrain === false) {
    const sb = extra.splitBrain
    const base = {objective: 'split_brain', target_ms: null, measured_ms: null, target: 'none'}
    if (!sb) results.push({...base, measured: 'not watched', met: false, reason: 'the split-brain watch did not run'})
    else if (sb.periods === 0) results.push({...base, measured: 'none', met: true, reason: 'never two nodes acknowledging writes in the same period'})
    else results.push({...base, measured: `${sb.periods} period(s)`, met: false, reason: `${sb.nodes.join(' and ')} both acknowledged writes in ${sb.periods} period(s)`})
  }
  for (const a of extra.asserts ?? []) {
    results.push({objective: `assert: ${a.title}`, target_ms: null, measured_ms: null, target: a.expected, measured: a.measured, met: a.met, reason: a.met ? 'as expected' : `expected ${a.expected}, got ${a.measured}`})
  }
  // Two writable nodes when the drill is over is a split brain left behind: said, and missed, objective or not.
  const writers = extra.writersAtEnd ?? []
  if (writers.length > 1) {
    results.push({
      objective: 'one writable node at the end',
      target_ms: null,
      measured_ms: null,
      target: '1 node accepts writes',
      measured: `${writers.length} nodes accept writes`,
      met: false,
      reason: `${writers.join(' and ')} ${writers.length === 2 ? 'both' : 'all'} accept writes at the end of the drill: two primaries, each taking writes the other never sees`,
    })
  }
  for (const u of extra.unfinished ?? []) {
    results.push({objective: u.title, target_ms: null, measured_ms: null, target: 'completes', measured: 'did not complete', met: false, reason: u.reason})
  }
  return {verdict: results.every((r) => r.met) ? 'pass' : 'fail', results}
}

/** Pure: every objective of a run that did not complete, missed and not measured, with why. */
export function notMeasured(objectives: Objectives, reason: string): ObjectiveResult[] {
  const rows: ObjectiveResult[] = []
  const miss = (objective: string, target_ms: number | null, target: string) => rows.push({objective, target_ms, measured_ms: null, target, measured: 'not measured', met: false, reason})
  if (objectives.rtoMs !== undefined) miss('rto', objectives.rtoMs, formatMs(objectives.rtoMs))
  if (objectives.rpoMs !== undefined) miss('rpo', objectives.rpoMs, formatMs(objectives.rpoMs))
  if (objectives.splitBrain === false) miss('split_brain', null, 'none')
  return rows
}
