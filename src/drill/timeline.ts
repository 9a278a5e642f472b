import type {EventKind, TimelineEvent} from '../model/timeline.js'
import type {Clock} from '../util/time.js'

export type {EventKind, TimelineEvent} from '../model/timeline.js'

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
