import type {LagSample} from '../model/sample.js'
import type {LagSummary, ReplicationLag} from '../model/measurements.js'

export type {LagSummary, ReplicationLag} from '../model/measurements.js'



/** Pure: lag readings in, per standby the median / p95 / max before the fault, during it and after a heal out. */
export function summarizeLag(samples: readonly LagSample[], standbys: readonly string[], faultAt: number | undefined, healedAt?: number): ReplicationLag[] {
  const from = faultAt ?? Number.POSITIVE_INFINITY
  const to = healedAt !== undefined && healedAt > from ? healedAt : Number.POSITIVE_INFINITY
  return standbys.map((standby) => {
    const mine = samples.filter((s) => s.standby === standby)
    return {
      standby,
      baseline: summary(mine.filter((s) => s.t < from)),
      during_fault: summary(mine.filter((s) => s.t >= from && s.t < to)),
      after_heal: to === Number.POSITIVE_INFINITY ? null : summary(mine.filter((s) => s.t >= to)),
    }
  })
}

/** One line per standby for people: `busan lag: baseline median 2 ms; during the fault median 215 ms, p95 410 ms, max 1.02 s`. */
export function describeLag(lag: readonly ReplicationLag[]): string[] {
  const part = (title: string, s: LagSummary) =>
    s.with_lag === 0 ? `${title} no reading` : `${title} median ${fmt(s.median_ms)}, p95 ${fmt(s.p95_ms)}, max ${fmt(s.max_ms)}${s.not_streaming ? ` (${s.not_streaming} not streaming)` : ''}`
  return lag.map((l) => `${l.standby} replay lag: ${[part('baseline', l.baseline), part('during the fault', l.during_fault), ...(l.after_heal ? [part('after healing', l.after_heal)] : [])].join('; ')}`)
}

function fmt(ms: number | null): string {
  if (ms === null) return '-'
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`
}

function summary(samples: readonly LagSample[]): LagSummary {
  const lags = samples.map((s) => s.replay_lag_ms).filter((v): v is number => v !== null).sort((a, b) => a - b)
  const bytes = samples.map((s) => s.lag_bytes).filter((v): v is number => v !== null)
  return {
    samples: samples.length,
    with_lag: lags.length,
    not_streaming: samples.filter((s) => s.state !== 'streaming').length,
    median_ms: quantile(lags, 0.5),
    p95_ms: quantile(lags, 0.95),
    max_ms: lags.length > 0 ? round(lags.at(-1)!) : null,
    max_bytes: bytes.length > 0 ? Math.max(...bytes) : null,
  }
}

/** Nearest-rank quantile of sorted values. */
function quantile(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null
  return round(sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!)
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100
}
