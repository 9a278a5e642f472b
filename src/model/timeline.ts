/** The events of a run, on its one monotonic clock. Shared vocabulary: this module imports nothing else from src/. */

export type EventKind =
  | 'run-start'
  | 'probe-start'
  | 'step'
  | 'fault'
  | 'fault-done'
  | 'first-failure'
  | 'leader-change'
  | 'first-ack'
  | 'recovered'
  | 'not-recovered'
  | 'wait-timeout'
  | 'probe-stop'
  | 'read-back'
  | 'revert'
  | 'revert-failed'
  | 'runbook'
  | 'assert'
  | 'manual'
  | 'split-brain'
  | 'run-end'

export interface TimelineEvent {
  /** Milliseconds since the run started, on the monotonic clock. */
  t_ms: number
  /** Wall-clock time of the same instant, UTC. */
  at: string
  kind: EventKind
  detail: string
}
