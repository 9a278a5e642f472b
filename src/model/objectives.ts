/** Objectives, where they came from, and how they were graded. Shared vocabulary: this module imports nothing else from src/. */

import type {Disruption} from './vocabulary.js'

export interface Objectives {
  rtoMs?: number
  rpoMs?: number
  /** false: no split brain allowed. */
  splitBrain?: false
}
/** Where a drill's objectives came from, for the verdict and the evidence. */
export interface ObjectivesSource {
  policy: string
  policy_name: string
  policy_sha256: string
  tier: string
  disruption?: Disruption
}
export interface ObjectiveResult {
  /** rto, rpo, split_brain, or `assert: <title>`; in a drill with named probes (`probes:`), `<probe>: rto` and so on. */
  objective: string
  /** The probe the objective grades, in a drill with named probes; absent otherwise (and for asserts and unfinished steps). */
  probe?: string
  /** The objective in milliseconds (rto, rpo); null for the others. */
  target_ms: number | null
  /** What was measured in milliseconds (rto, rpo); null when not measured or not a time. */
  measured_ms: number | null
  /** The objective and the measurement as a person reads them. */
  target: string
  measured: string
  met: boolean
  /** Why, in one sentence a person reads in a verdict table or a JUnit failure. */
  reason: string
}
export interface Grade {
  verdict: 'pass' | 'fail'
  results: ObjectiveResult[]
}
/** An assert step's outcome, graded as an objective of its own. */
export interface AssertOutcome {
  title: string
  met: boolean
  measured: string
  expected: string
}
/** A step that did not finish (a wait not met in time): the drill did not go as written, so it cannot pass. */
export interface UnfinishedStep {
  /** The step as the drill describes it, with its number. */
  title: string
  reason: string
}
