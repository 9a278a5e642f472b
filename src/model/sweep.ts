/** What a sweep measured: faults × probes. Shared vocabulary: this module imports nothing else from src/. */

/** The faults a sweep injects, one at a time. */
export const SWEEP_FAULTS = ['power-cut', 'isolate'] as const
export type SweepFaultKind = (typeof SWEEP_FAULTS)[number]

/** One row of the matrix: a fault on a whole site, or (with --services) on one service's instance there. */
export interface SweepFault {
  kind: SweepFaultKind
  site: string
  /** Set when the fault hits only this service's instance on the site. */
  service?: string
}

/** One cell: what one probe saw of one fault. */
export interface SweepCell {
  probe: string
  /**
   * recovered: a stable run of successes within the bound (rto_ms 0 when nothing failed); not-recovered: none
   * within the bound; not-measured: the cell's run did not complete (interrupted, aborted).
   */
  state: 'recovered' | 'not-recovered' | 'not-measured'
  rto_ms: number | null
  impact_ms: number | null
  /** Acknowledged writes absent afterwards; null for a probe that only checks, or when the read-back failed. */
  lost_writes: number | null
  rpo_ms: number | null
  indeterminate_writes: number
  resolution_ms: number
}

export interface SweepRow {
  fault: SweepFault
  /** The run that measured this row (a history entry; its bundle sits inside the sweep's). */
  run_id: string | null
  status: 'completed' | 'interrupted' | 'aborted'
  /** Wall time of the row: fault, wait, revert, healthy again. */
  duration_ms: number
  cells: SweepCell[]
}

/** A single point of failure: a fault that stopped probes for longer than the bound. */
export interface SinglePointOfFailure {
  fault: SweepFault
  probes: string[]
  /** Services that run only where the fault hit and that the stopped probes' services need; empty when the topology does not say. */
  causes: string[]
  /** One sentence: "power loss at pangyo stops api: auth runs only in pangyo". */
  sentence: string
}

/** A cell left out of the single points of failure, and why (the probes' own entry point went down with the site). */
export interface SweepNote {
  fault: SweepFault
  probes: string[]
  sentence: string
}

export interface SweepResult {
  sweep_id: string
  topology: string
  topology_file: string
  topology_sha256: string
  probes_file: string
  fault: SweepFaultKind
  /** "not recovered within T": the bound, from the fault. */
  bound_ms: number
  /** How long every cell watches after its fault before it is judged. */
  settle_ms: number
  probes: {name: string; kind: string; service: string}[]
  rows: SweepRow[]
  spofs: SinglePointOfFailure[]
  notes: SweepNote[]
  /** pass: every cell recovered within the bound; fail: a single point of failure (or a cell not measured). */
  verdict: 'pass' | 'fail'
  /** completed, or interrupted / aborted part-way (the rows done so far are kept). */
  status: 'completed' | 'interrupted' | 'aborted'
  error: string | null
  started_at: string
  finished_at: string
  duration_ms: number
}
