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
