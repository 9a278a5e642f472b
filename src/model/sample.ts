/** What a probe records. Shared vocabulary: this module imports nothing else from src/. */

/** One probe attempt, on the runner's monotonic clock (milliseconds). See DESIGN.md, "Measurement, defined once". */
export interface Sample {
  seq: number
  start: number
  end: number
  /** ok: acknowledged. failed: definitely not applied. indeterminate: the client cannot know (timeout or lost connection after the write was sent). */
  outcome: 'ok' | 'failed' | 'indeterminate'
  /** The node that served (or was asked to serve) the write. */
  node?: string
  error?: string
}
export type Outcome = Sample['outcome']
/** One reading of one standby's lag, as the primary's pg_stat_replication showed it (monotonic ms). */
export interface LagSample {
  t: number
  /** The standby's name (application_name: its Patroni member name). */
  standby: string
  /** replay_lag: how long ago the WAL the standby has just replayed was flushed on the primary; null when PostgreSQL has none (idle, or just connected). */
  replay_lag_ms: number | null
  /** Bytes of WAL the primary has that the standby has not replayed; null when not streaming. */
  lag_bytes: number | null
  state: string
}
