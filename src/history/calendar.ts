import {ConfigError} from '../errors.js'

import type {Frequency} from '../config/drill.js'

export {FREQUENCIES, type Frequency} from '../config/drill.js'

/** The next date a drill of this frequency is due after one run at `from` (calendar months; nightly is one day). */
export function addInterval(from: Date, frequency: Frequency, times = 1): Date {
  const d = new Date(from.getTime())
  if (frequency === 'nightly') {
    d.setUTCDate(d.getUTCDate() + times)
    return d
  }
  const months = {annual: 12, semiannual: 6, quarterly: 3, monthly: 1}[frequency] * times
  const day = d.getUTCDate()
  d.setUTCDate(1)
  d.setUTCMonth(d.getUTCMonth() + months)
  // 31 Jan + 1 month is the last day of February, not 3 March.
  const last = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate()
  d.setUTCDate(Math.min(day, last))
  return d
}

export interface Period {
  label: string
  /** Inclusive. */
  start: Date
  /** Exclusive. */
  end: Date
}

/** `2026`, `2026-H2`, `2026-Q4`, `2026-11`, or `2026-10-01..2026-12-31` (both days included). */
export function parsePeriod(text: string): Period {
  const t = text.trim()
  const utc = (y: number, m: number, d = 1) => new Date(Date.UTC(y, m, d))
  let m: RegExpMatchArray | null
  if ((m = t.match(/^(\d{4})$/))) return {label: t, start: utc(+m[1]!, 0), end: utc(+m[1]! + 1, 0)}
  if ((m = t.match(/^(\d{4})-H([12])$/i))) {
    const h = +m[2]! - 1
    return {label: t.toUpperCase(), start: utc(+m[1]!, h * 6), end: utc(+m[1]!, h * 6 + 6)}
  }
  if ((m = t.match(/^(\d{4})-Q([1-4])$/i))) {
    const q = +m[2]! - 1
    return {label: t.toUpperCase(), start: utc(+m[1]!, q * 3), end: utc(+m[1]!, q * 3 + 3)}
  }
  if ((m = t.match(/^(\d{4})-(\d{2})$/)) && +m[2]! >= 1 && +m[2]! <= 12) return {label: t, start: utc(+m[1]!, +m[2]! - 1), end: utc(+m[1]!, +m[2]!)}
  if ((m = t.match(/^(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})$/))) {
    const start = parseDay(m[1]!)
    const lastDay = parseDay(m[2]!)
    if (start && lastDay && lastDay >= start) return {label: t, start, end: new Date(lastDay.getTime() + 86_400_000)}
  }
  throw new ConfigError([{file: '--period', field: 'period', message: `"${text}" is not a period; write 2026, 2026-H2, 2026-Q4, 2026-11 or 2026-10-01..2026-12-31`}])
}

/** `YYYY-MM-DD` or a full ISO timestamp; undefined when it is neither. */
export function parseDay(text: string): Date | undefined {
  if (!/^\d{4}-\d{2}-\d{2}(T.*)?$/.test(text)) return undefined
  const d = new Date(text.length === 10 ? `${text}T00:00:00Z` : text)
  return Number.isNaN(d.getTime()) ? undefined : d
}

export interface ScheduledDrill {
  name: string
  file: string
  frequency?: Frequency
}

export type PlanStatus = 'ok' | 'due' | 'overdue' | 'never run' | 'unscheduled'

export interface PlanRow {
  drill: string
  file: string
  frequency: Frequency | null
  last_run: string | null
  last_run_id: string | null
  last_verdict: 'pass' | 'fail' | null
  next_due: string | null
  status: PlanStatus
  /** Days past the due date (negative: days left). */
  days_overdue: number | null
  /** Runs after the last completed one that did not complete (interrupted, aborted): they do not count as held. */
  later_incomplete: IncompleteRun[]
}

export interface IncompleteRun {
  run_id: string
  started_at: string
  status: 'interrupted' | 'aborted'
}

type HeldRun = {drill: string; run_id: string; started_at: string; verdict: 'pass' | 'fail'; status?: 'completed' | 'interrupted' | 'aborted'}

/**
 * Which runs count as the drill having been held: only completed ones (pass or fail). Per drill, the last
 * completed run, and the runs after it that did not complete. `runs` in start order.
 */
export function heldRuns(runs: readonly HeldRun[]): {last: Map<string, HeldRun>; later: Map<string, IncompleteRun[]>} {
  const last = new Map<string, HeldRun>()
  const later = new Map<string, IncompleteRun[]>()
  for (const r of runs) {
    const status = r.status ?? 'completed'
    if (status === 'completed') {
      last.set(r.drill, r)
      later.delete(r.drill)
    } else later.set(r.drill, [...(later.get(r.drill) ?? []), {run_id: r.run_id, started_at: r.started_at, status}])
  }
  return {last, later}
}

const DUE_SOON_DAYS = 14

/**
 * Each drill's last completed run and the date it is next due. Only a completed run counts (a failed one
 * too: its follow-up is tracked by notes); an interrupted or aborted one does not, and is listed apart
 * (`later`; `lastRuns` must hold completed runs only: heldRuns). A scheduled drill never run is due now,
 * and counts as overdue.
 */
export function plan(
  drills: readonly ScheduledDrill[],
  lastRuns: ReadonlyMap<string, {run_id: string; started_at: string; verdict: 'pass' | 'fail'}>,
  now: Date,
  later: ReadonlyMap<string, IncompleteRun[]> = new Map(),
): PlanRow[] {
  return drills.map((d) => {
    const last = lastRuns.get(d.name)
    const base = {drill: d.name, file: d.file, frequency: d.frequency ?? null, last_run: last?.started_at ?? null, last_run_id: last?.run_id ?? null, last_verdict: last?.verdict ?? null, later_incomplete: later.get(d.name) ?? []}
    if (!d.frequency) return {...base, next_due: null, status: 'unscheduled', days_overdue: null}
    if (!last) return {...base, next_due: now.toISOString().slice(0, 10), status: 'never run', days_overdue: 0}
    const due = addInterval(new Date(last.started_at), d.frequency)
    const days = Math.floor((now.getTime() - due.getTime()) / 86_400_000)
    const status: PlanStatus = now > due ? 'overdue' : -days <= DUE_SOON_DAYS ? 'due' : 'ok'
    return {...base, next_due: due.toISOString().slice(0, 10), status, days_overdue: days}
  })
}

export function isOverdue(row: PlanRow): boolean {
  return row.status === 'overdue' || row.status === 'never run'
}
