import type {Sample} from '../model/sample.js'
import type {Measurements, PhaseEvent, SplitBrain} from '../model/measurements.js'

export type {Measurements, PhaseEvent, SplitBrain} from '../model/measurements.js'

export interface MeasureInput {
  samples: readonly Sample[]
  /** Monotonic time just before the fault's engine call. */
  faultAt: number
  /** Sequence numbers present when read back from the recovered primary; undefined when the read-back failed. */
  readBack?: ReadonlySet<number>
  /** A recovery is the start of this many successive successful samples. */
  stableSamples: number
  intervalMs: number
}



const isOk = (s: Sample) => s.outcome === 'ok'

/** Pure: samples and read-back in, the figures of DESIGN.md "Measurement, defined once" out. */
export function measure(input: MeasureInput): Measurements {
  const samples = [...input.samples].sort((a, b) => a.start - b.start)
  const {faultAt, stableSamples} = input
  // A sample still in flight at the fault can show its effect; one that ended before cannot.
  const after = samples.filter((s) => s.end >= faultAt)
  const phases: PhaseEvent[] = []

  const firstBadIndex = after.findIndex((s) => !isOk(s))
  let rto: number | null = 0
  let impact = 0
  if (firstBadIndex >= 0) {
    const firstBad = after[firstBadIndex]!
    impact = Math.max(0, firstBad.start - faultAt)
    phases.push({t: firstBad.start, kind: 'first-failure', detail: `seq ${firstBad.seq} ${firstBad.outcome}${firstBad.error ? `: ${firstBad.error}` : ''}`})
    const firstAck = after.slice(firstBadIndex).find(isOk)
    if (firstAck) phases.push({t: firstAck.start, kind: 'first-ack', detail: `seq ${firstAck.seq} on ${firstAck.node ?? '?'}`})
    const recovered = findStableRun(after, firstBadIndex, stableSamples)
    rto = recovered ? Math.max(0, recovered.start - faultAt) : null
    if (recovered) phases.push({t: recovered.start, kind: 'recovered', detail: `seq ${recovered.seq} begins ${stableSamples} successive acknowledged writes`})
    else phases.push(notRecovered(after.slice(firstBadIndex)))
  }

  const before = [...samples].reverse().find((s) => isOk(s) && s.end < faultAt)
  const firstElsewhere = after.find((s) => isOk(s) && before?.node !== undefined && s.node !== undefined && s.node !== before.node)
  if (firstElsewhere) phases.push({t: firstElsewhere.start, kind: 'leader-change', detail: `writes served by ${firstElsewhere.node} (before: ${before!.node})`})

  const acked = samples.filter(isOk)
  const indeterminate = samples.filter((s) => s.outcome === 'indeterminate')
  let lostSeqs: number[] = []
  let rpo: number | null = null
  let lost: number | null = null
  let indeterminatePresent: number | null = null
  if (input.readBack) {
    const present = input.readBack
    const lostSamples = acked.filter((s) => !present.has(s.seq))
    lostSeqs = lostSamples.map((s) => s.seq)
    lost = lostSamples.length
    const oldestAck = Math.min(...lostSamples.map((s) => s.end))
    rpo = lost === 0 ? 0 : Math.max(0, faultAt - oldestAck)
    indeterminatePresent = indeterminate.filter((s) => present.has(s.seq)).length
  }

  return {
    rto_ms: rto === null ? null : round(rto),
    impact_ms: round(impact),
    rpo_ms: rpo === null ? null : round(rpo),
    lost_writes: lost,
    indeterminate_writes: indeterminate.length,
    indeterminate_present: indeterminatePresent,
    acked_writes: acked.length,
    failed_writes: samples.filter((s) => s.outcome === 'failed').length,
    resolution_ms: input.intervalMs,
    lost_seqs: lostSeqs,
    phases: phases.sort((a, b) => a.t - b.t),
  }
}

/** How many of the causes of failure a not-recovered phase names, and how much of each error it quotes. */
const CAUSES = 3
const ERROR_CHARS = 200

/**
 * Why a probe never recovered, in one line a reader acts on: the last sample that was not ok (what
 * still failed when the probe stopped) and the errors of every not-ok sample from the first failure
 * on, by count, most frequent first (`188 × HTTP 503: {"error": "auth unavailable: ..."}`).
 */
export function notRecovered(fromFirstFailure: readonly Sample[]): PhaseEvent {
  const bad = fromFirstFailure.filter((s) => !isOk(s))
  const last = bad.at(-1)!
  const said = (s: Sample) => {
    const error = s.error ?? 'no error recorded'
    return `${s.outcome}: ${error.length > ERROR_CHARS ? `${error.slice(0, ERROR_CHARS)}…` : error}`
  }
  const counts = new Map<string, number>()
  for (const s of bad) counts.set(said(s), (counts.get(said(s)) ?? 0) + 1)
  const ranked = [...counts.entries()].sort((a, b) => b[1] - a[1])
  const causes = ranked.slice(0, CAUSES).map(([what, n]) => `${n} × ${what}`)
  if (ranked.length > CAUSES) causes.push(`${ranked.slice(CAUSES).reduce((n, [, k]) => n + k, 0)} × other errors`)
  return {
    t: last.start,
    kind: 'not-recovered',
    cause: `${ranked[0]![1]} of ${fromFirstFailure.length} samples from the first failure on: ${ranked[0]![0]}`,
    detail: `still failing when the probe stopped (last at seq ${last.seq}, ${said(last)}); ${bad.length} of ${fromFirstFailure.length} samples from the first failure on were not ok: ${causes.join('; ')}`,
  }
}

/** The first ok sample at or after `from` that begins `n` successive ok samples. */
function findStableRun(samples: readonly Sample[], from: number, n: number): Sample | undefined {
  let runStart = -1
  for (let i = from; i < samples.length; i++) {
    if (!isOk(samples[i]!)) {
      runStart = -1
      continue
    }
    if (runStart < 0) runStart = i
    if (i - runStart + 1 >= n) return samples[runStart]
  }
  return undefined
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100
}


/**
 * Pure: split brain is two different nodes acknowledging writes as primary over the same period.
 * The watch writes to every node each interval; acknowledgements are bucketed by the time they came
 * back, one bucket per interval, and a bucket with acknowledgements from two nodes is split brain.
 */
export function splitBrain(acks: readonly {node: string; end: number}[], intervalMs: number): SplitBrain {
  const buckets = new Map<number, Set<string>>()
  const perNode: Record<string, number> = {}
  for (const a of acks) {
    const b = Math.floor(a.end / intervalMs)
    buckets.set(b, (buckets.get(b) ?? new Set()).add(a.node))
    perNode[a.node] = (perNode[a.node] ?? 0) + 1
  }
  const bad = [...buckets.entries()].filter(([, nodes]) => nodes.size > 1).sort(([a], [b]) => a - b)
  return {
    periods: bad.length,
    first_at: bad.length > 0 ? bad[0]![0] * intervalMs : null,
    nodes: [...new Set(bad.flatMap(([, nodes]) => [...nodes]))].sort(),
    acks_per_node: perNode,
  }
}

/**
 * Pure: the measurements of a run that did not complete (interrupted, aborted). The counts of what the
 * probe saw are facts; RTO, impact, RPO and lost writes are not claimed (null).
 */
export function unmeasured(samples: readonly Sample[], intervalMs: number): Omit<Measurements, 'phases'> {
  return {
    rto_ms: null,
    impact_ms: null,
    rpo_ms: null,
    lost_writes: null,
    indeterminate_writes: samples.filter((s) => s.outcome === 'indeterminate').length,
    indeterminate_present: null,
    acked_writes: samples.filter((s) => s.outcome === 'ok').length,
    failed_writes: samples.filter((s) => s.outcome === 'failed').length,
    resolution_ms: intervalMs,
    lost_seqs: [],
  }
}
