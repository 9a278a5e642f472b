/** The drill result a run produces; evidence/, report/ and history/ read it. Shared vocabulary: this module imports nothing else from src/. */

import type {Grade, ObjectivesSource} from './objectives.js'
import type {Measurements, ReplicationLag, SplitBrain} from './measurements.js'
import type {RevertOutcome} from './revert.js'
import type {Sample} from './sample.js'
import type {TimelineEvent} from './timeline.js'
import type {FaultKind, StepKindName} from './vocabulary.js'

export interface EngineInfo {
  version: string
  apiVersion: string
  os: string
}
export interface StepRecord {
  index: number
  kind: StepKindName
  description: string
  status: 'done' | 'timed-out' | 'skipped'
  started_ms?: number
  duration_ms?: number
}
export interface DrillResult {
  run_id: string
  drill: string
  drill_file: string
  drill_sha256: string
  topology: string
  topology_file: string
  topology_sha256: string
  verdict: Grade['verdict']
  /** completed: graded; interrupted (Ctrl-C, SIGTERM) or aborted (the engine gone, past the deadline, a step that could not be done): not measured, verdict fail. */
  status: 'completed' | 'interrupted' | 'aborted'
  /** Why the run did not complete; null when it did. */
  error: string | null
  objectives: {rto_ms: number | null; rpo_ms: number | null; split_brain: false | null}
  /** Set when the objectives come from a policy tier. */
  objectives_from: ObjectivesSource | null
  results: Grade['results']
  measurements: Omit<Measurements, 'phases'> & {split_brain: SplitBrain | null; replication_lag: ReplicationLag[] | null}
  /** Each fault injected, with the mechanism a network fault used. */
  faults: FaultRecord[]
  probe: {kind: string; service: string; interval_ms: number; timeout_ms: number; stable_samples: number; vantage: string; samples: number}
  started_at: string
  finished_at: string
  duration_ms: number
  engine: EngineInfo
  steps: StepRecord[]
  reverts: RevertOutcome[]
  timeline: TimelineEvent[]
  /** Left out of --json output for size; kept for evidence and reports. */
  samples?: Sample[]
}
export interface FaultRecord {
  /** The step's index. */
  step: number
  name: string
  kind: FaultKind
  description: string
  detail: string | null
  /** Network faults: tc netem, or the NFQUEUE fallback. */
  mechanism: 'netem' | 'nfqueue' | null
}
