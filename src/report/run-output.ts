import type {DrillOutcome} from '../grade/repeat.js'
import type {DrillResult} from '../model/result.js'
import {drillSummary, verdictTable} from './table.js'

/** What the evidence of one run says about itself in `run`'s output; its rendered report stays out. */
export type EvidenceSummary = {report?: unknown}

/**
 * What `run` prints about its drills, from one set of outcomes: display() for people (the verdict
 * table and each drill's summary), getJson() for machines (one object per drill: the result without
 * its samples and with its evidence; repeated, the aggregate grade with every run inside).
 */
export class RunOutput<E extends EvidenceSummary = EvidenceSummary> {
  constructor(
    private readonly outcomes: readonly DrillOutcome[],
    private readonly evidenceOf: (r: DrillResult) => E | undefined = () => undefined,
  ) {}

  display(): string {
    return [verdictTable(this.outcomes), ...this.outcomes.map((o) => drillSummary(o))].join('\n')
  }

  getJson(): unknown[] {
    return this.outcomes.map((o) => this.drillJson(o))
  }

  private drillJson(o: DrillOutcome): unknown {
    const [first] = o.runs
    if (!o.repeated && first) return this.runJson(first)
    return {
      drill: o.drill,
      verdict: o.verdict,
      repeat: o.repeated?.runs,
      grade_on: o.repeated?.grade_on,
      results: o.repeated?.results,
      statistics: o.repeated?.statistics,
      runs: o.runs.map((r) => this.runJson(r)),
    }
  }

  private runJson(result: DrillResult): Omit<DrillResult, 'samples'> & {evidence?: Omit<E, 'report'>} {
    const {samples: _samples, probes, ...others} = result
    // Samples stay out of --json for size, every probe's alike.
    const rest = probes ? {...others, probes: probes.map(({samples: _s, ...p}) => p)} : others
    const rec = this.evidenceOf(result)
    if (!rec) return rest
    const {report: _report, ...evidence} = rec
    return {...rest, evidence}
  }
}
