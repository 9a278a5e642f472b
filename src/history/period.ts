import {addInterval, type Frequency, type Period, type ScheduledDrill} from './calendar.js'
import type {HistoryStore, Note, RunRow} from './store.js'

export interface PeriodDrill {
  drill: string
  file: string | null
  frequency: Frequency | null
  /** The schedule asked for at least one run in the period. */
  due: boolean
  /** How many runs the frequency asks for within the period (nightly: one a day). */
  expected_runs: number
  /** Completed runs (pass or fail): the drill held. */
  runs: number
  passed: number
  failed: number
  /** Runs that did not complete (interrupted, aborted): not measured, not counted as held. */
  not_completed: number
  status: 'done' | 'failed' | 'not run' | 'not due' | 'unscheduled'
}

export interface PeriodReport {
  period: {label: string; start: string; end: string}
  generated_at: string
  drills: PeriodDrill[]
  runs: (RunRow & {notes: Note[]})[]
  /** Drills due in the period and not run in it. */
  not_run: string[]
  /** The evidence each run rests on (report --period fills it in from the bundles): manifest digest and signer. */
  evidence?: PeriodEvidenceRow[]
  /** runs: every run; passed and failed: completed ones; not_completed: interrupted or aborted. */
  totals: {runs: number; passed: number; failed: number; not_completed: number; due: number; due_and_run: number}
}

/** One run's bundle as a period report lists it. */
export interface PeriodEvidenceRow {
  run_id: string
  drill: string
  bundle: string | null
  manifest_sha256: string | null
  signer_keyid: string | null
  signer_name: string | null
  problem: string | null
}

/** The auditor's summary of a period: drills due and run, pass/fail, objectives against measured, failures with their follow-up notes, drills due and not run. */
export function periodReport(store: HistoryStore, drills: readonly ScheduledDrill[], period: Period, now = new Date()): PeriodReport {
  const inPeriod = store.runs({since: period.start, until: period.end})
  const before = store.runs({until: period.start}).filter(completed)
  const names = new Set([...drills.map((d) => d.name), ...inPeriod.map((r) => r.drill)])
  const rows: PeriodDrill[] = [...names].sort().map((name) => {
    const d = drills.find((x) => x.name === name)
    const all = inPeriod.filter((r) => r.drill === name)
    const runs = all.filter(completed)
    const passed = runs.filter((r) => r.verdict === 'pass').length
    const base = {drill: name, file: d?.file ?? null, frequency: d?.frequency ?? null, runs: runs.length, passed, failed: runs.length - passed, not_completed: all.length - runs.length}
    if (!d?.frequency) return {...base, due: false, expected_runs: 0, status: runs.length === 0 ? 'unscheduled' : passed === runs.length ? 'done' : 'failed'}
    const last = before.filter((r) => r.drill === name).at(-1)
    const dueAt = last ? addInterval(new Date(last.started_at), d.frequency) : period.start
    const due = dueAt < period.end
    const expected = due ? Math.max(1, countDue(d.frequency, dueAt < period.start ? period.start : dueAt, period.end)) : 0
    const status = runs.length === 0 ? (due ? 'not run' : 'not due') : passed === runs.length ? 'done' : 'failed'
    return {...base, due, expected_runs: expected, status}
  })
  const runs = inPeriod.map((r) => ({...r, notes: store.notes(r.run_id)}))
  return {
    period: {label: period.label, start: period.start.toISOString().slice(0, 10), end: new Date(period.end.getTime() - 1).toISOString().slice(0, 10)},
    generated_at: now.toISOString(),
    drills: rows,
    runs,
    not_run: rows.filter((r) => r.status === 'not run').map((r) => r.drill),
    totals: {
      runs: inPeriod.length,
      passed: inPeriod.filter((r) => completed(r) && r.verdict === 'pass').length,
      failed: inPeriod.filter((r) => completed(r) && r.verdict === 'fail').length,
      not_completed: inPeriod.filter((r) => !completed(r)).length,
      due: rows.filter((r) => r.due).length,
      due_and_run: rows.filter((r) => r.due && r.runs > 0).length,
    },
  }
}

/** How many due dates of this frequency fall in [from, end). */
function countDue(frequency: Frequency, from: Date, end: Date): number {
  let n = 0
  for (let d = from; d < end && n < 1000; d = addInterval(d, frequency)) n++
  return n
}

/** Only a completed run (pass or fail) is a drill held; rows recorded before status was kept count as completed. */
export const completed = (r: RunRow): boolean => (r.status ?? 'completed') === 'completed'
