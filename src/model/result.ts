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
  /** Where the engine was reached, as DOCKER_HOST would say it (tcp://IP:2376, ssh://user@host:22, unix://...): never a secret. Absent in older results. */
  endpoint?: string
  /** How the client authenticated: a local socket, plain tcp (lab only), TLS client certificates, or SSH. Absent in older results. */
  transport?: 'socket' | 'tcp' | 'tls' | 'ssh'
  /** Sites on several engines: each engine the run used, by its topology name (the fields above are the first's). */
  engines?: {name: string; endpoint: string; transport?: EngineInfo['transport']; version: string; apiVersion: string; os: string}[]
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
  /** The first probe (the only one of a one-probe drill); every probe is in `probes`. */
  probe: ProbeRecord
  /**
   * Every probe of the drill, in the order written, each measured and graded alone on the run's one clock
   * and t_fault. The top-level objectives, measurements and samples are the first probe's; `results` and
   * `verdict` cover every probe. Absent in results written before several probes per drill.
   */
  probes?: ProbeOutcome[]
  started_at: string
  finished_at: string
  duration_ms: number
  engine: EngineInfo
  /** How the runner reached the containers; absent in results written before the relay. */
  route?: RouteRecord
  steps: StepRecord[]
  reverts: RevertOutcome[]
  timeline: TimelineEvent[]
  /** Left out of --json output for size; kept for evidence and reports. */
  samples?: Sample[]
}
export interface ProbeRecord {
  kind: string
  service: string
  interval_ms: number
  timeout_ms: number
  stable_samples: number
  vantage: string
  samples: number
}
/** One probe's part of a run: what it was, what it was graded against, what it measured, how it did. */
export interface ProbeOutcome {
  /** Its name in the drill (`probe` for the one-probe shorthand). */
  name: string
  probe: ProbeRecord
  objectives: DrillResult['objectives']
  /** pass when it met every objective it has (a probe with none passes). */
  verdict: Grade['verdict']
  results: Grade['results']
  measurements: DrillResult['measurements']
  /** Its samples (times relative to the run's start); for the first probe they are the top-level `samples` too. Left out of --json output. */
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

/** How the runner reached the topology's containers during a run (src/topology/relay.ts), and what the relay cost. */
export interface RouteRecord {
  via: 'direct' | 'relay'
  /** The relay container, the host its ports are published on, and why it was needed; null when direct. */
  relay: string | null
  host: string | null
  why: string | null
  /** Median TCP connect time through the relay (runner → engine host → relay → container and back), ms. */
  connect_ms: number | null
  /**
   * What the relay adds to each sample, ms: the median connect through it minus the median connect that
   * the relay itself refuses (the same path up to the relay). Every probe's resolution_ms includes it.
   */
  added_ms: number | null
  /** Connects timed for each median. */
  trials: number
}
