/** The figures measure/ derives from samples and a read-back. Shared vocabulary: this module imports nothing else from src/. */

export interface Measurements {
  /** t_fault → start of the first ok sample that begins a stable run after the first failure; 0 when nothing failed; null when never recovered. */
  rto_ms: number | null
  /** t_fault → start of the first non-ok sample; 0 when nothing failed; null when the run did not complete. */
  impact_ms: number | null
  /** t_fault − acknowledgement time of the oldest lost write (never below 0); 0 when nothing was lost; null when unknown (no read-back). */
  rpo_ms: number | null
  /** Acknowledged writes absent from the read-back; null when unknown. */
  lost_writes: number | null
  indeterminate_writes: number
  /** Indeterminate writes that turned out to be present in the read-back. */
  indeterminate_present: number | null
  acked_writes: number
  failed_writes: number
  /** The probe interval: no figure is more precise than this. */
  resolution_ms: number
  lost_seqs: number[]
  /** Phase events derived from the samples, relative to nothing: absolute monotonic times. */
  phases: PhaseEvent[]
}
export interface PhaseEvent {
  t: number
  /** not-recovered: still failing when the probe stopped, at the last sample that was not ok; its detail says why (the errors, by count). */
  kind: 'first-failure' | 'leader-change' | 'first-ack' | 'recovered' | 'not-recovered'
  detail: string
  /** not-recovered: its most frequent error with its count, short enough for a verdict's reason. */
  cause?: string
}
export interface SplitBrain {
  /** Periods (one probe interval each) in which two or more nodes acknowledged writes. */
  periods: number
  /** Start of the first such period, monotonic ms; null when none. */
  first_at: number | null
  nodes: string[]
  /** Acknowledged watch writes per node. */
  acks_per_node: Record<string, number>
}
export interface LagSummary {
  /** Readings taken. */
  samples: number
  /** Readings in which PostgreSQL reported a replay lag (it reports none while idle). */
  with_lag: number
  /** Readings in which the standby was not streaming (absent from pg_stat_replication, or another state). */
  not_streaming: number
  median_ms: number | null
  p95_ms: number | null
  max_ms: number | null
  max_bytes: number | null
}
export interface ReplicationLag {
  standby: string
  /** Before the first fault: the standby's usual lag. */
  baseline: LagSummary
  /** From the first fault until the first heal (or the end of the drill's steps): the lag the fault exposed. */
  during_fault: LagSummary
  /** After the first heal, when the drill healed before its end; null otherwise. */
  after_heal: LagSummary | null
}
