import {HistoryStore} from '../../src/history/store.js'
import type {DrillResult} from '../../src/model/result.js'

type Seed = {drill: string; at: string; verdict?: 'pass' | 'fail'; rto?: number | null; run?: string}

/** A history with runs spread over several quarters, as a bank's drill calendar would leave it. */
export const SEEDED: Seed[] = [
  {drill: 'kill-primary', at: '2026-01-15T09:00:00Z', rto: 9000},
  {drill: 'kill-primary', at: '2026-04-14T09:00:00Z', rto: 9500},
  {drill: 'site-power-cut', at: '2026-05-02T22:00:00Z', rto: 14000},
  {drill: 'kill-primary', at: '2026-07-10T09:00:00Z', rto: 9200},
  {drill: 'kill-primary', at: '2026-10-12T09:00:00Z', rto: 14500, verdict: 'fail', run: '20261012T090000Z-bad001'},
  {drill: 'db-process-crash', at: '2026-10-20T03:00:00Z', rto: 4000},
  {drill: 'kill-primary', at: '2026-11-05T09:00:00Z', rto: 9100},
]

export function seedStore(file: string, seeds: readonly Seed[] = SEEDED): HistoryStore {
  const store = HistoryStore.open(file)
  for (const s of seeds) store.recordRun(seedResult(s), {bundle: `/evidence/${s.run ?? runId(s)}`, operator: 'ops'})
  return store
}

function runId(s: Seed): string {
  return `${s.at.replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z').replace('00Z', 'Z')}-${s.drill.slice(0, 6)}`
}

export function seedResult(s: Seed): DrillResult {
  const rto = s.rto === undefined ? 9000 : s.rto
  const verdict = s.verdict ?? 'pass'
  return {
    run_id: s.run ?? runId(s),
    drill: s.drill,
    drill_file: `/drills/${s.drill}.yaml`,
    topology: 'bank-3site',
    verdict,
    started_at: s.at,
    finished_at: new Date(Date.parse(s.at) + 30_000).toISOString(),
    duration_ms: 30_000,
    measurements: {rto_ms: rto, rpo_ms: 0, lost_writes: 0, impact_ms: 100, indeterminate_writes: 0, indeterminate_present: 0, acked_writes: 100, failed_writes: 10, resolution_ms: 100, lost_seqs: [], split_brain: null},
    results: [
      {objective: 'rto', target_ms: 12_000, measured_ms: rto, target: '12.00 s', measured: rto === null ? 'never recovered' : `${(rto / 1000).toFixed(2)} s ± 100 ms`, met: verdict === 'pass', reason: verdict === 'pass' ? 'within' : `recovered after ${(rto! / 1000).toFixed(2)} s (over 12.00 s)`},
      {objective: 'rpo', target_ms: 0, measured_ms: 0, target: '0 ms', measured: '0 ms (0 lost)', met: true, reason: 'no acknowledged write lost'},
    ],
  } as unknown as DrillResult
}
