import type {LagSample} from '../probes/replication-lag-watch.js'

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
  /** From the first fault to the end of the drill's steps: the lag the degraded link exposed. */
  after_fault: LagSummary
}

/** Pure: lag readings in, per standby the median / p95 / max before and after the fault out. */
export function summarizeLag(samples: readonly LagSample[], standbys: readonly string[], faultAt: number | undefined): ReplicationLag[] {
  return standbys.map((standby) => {
    const mine = samples.filter((s) => s.standby === standby)
    const cut = faultAt ?? Number.POSITIVE_INFINITY
    return {standby, baseline: summary(mine.filter((s) => s.t < cut)), after_fault: summary(mine.filter((s) => s.t >= cut))}
  })
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
