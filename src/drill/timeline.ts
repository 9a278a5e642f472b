import type {Clock} from '../util/time.js'

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

/** The run's one clock and its record of what happened when. */
export class Timeline {
  readonly origin: number
  private readonly events: TimelineEvent[] = []

  constructor(readonly clock: Clock) {
    this.origin = clock.now()
  }

  /** Record an event at a monotonic time (default: now). Returns that time. */
  record(kind: EventKind, detail: string, at: number = this.clock.now()): number {
    this.events.push({t_ms: round(at - this.origin), at: this.clock.wall(at), kind, detail})
    return at
  }

  relative(monotonic: number): number {
    return round(monotonic - this.origin)
  }

  list(): TimelineEvent[] {
    return [...this.events].sort((a, b) => a.t_ms - b.t_ms)
  }
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100
}
