import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {DatabaseSync} from 'node:sqlite'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {parseDuration} from '../../src/config/duration.js'
import {addInterval, heldRuns, isOverdue, parsePeriod, plan, type ScheduledDrill} from '../../src/history/calendar.js'
import {periodReport} from '../../src/history/period.js'
import {renderPeriodHtml, renderPeriodMarkdown} from '../../src/report/period.js'
import {HistoryStore} from '../../src/history/store.js'
import {DEFAULT_MARGIN, parseMargin, sparkline, withTrend} from '../../src/history/trend.js'
import {planTable} from '../../src/report/table.js'
import {seedResult, seedStore} from '../support/history.js'

let tmp: string
let store: HistoryStore
beforeEach(() => {
  tmp = mkdtempSync(path.join(tmpdir(), 'firedrill-history-'))
  store = seedStore(path.join(tmp, 'history.sqlite'))
})
afterEach(() => {
  store.close()
  rmSync(tmp, {recursive: true, force: true})
})

const DRILLS: ScheduledDrill[] = [
  {name: 'kill-primary', file: '/drills/kill-primary.yaml', frequency: 'quarterly'},
  {name: 'site-power-cut', file: '/drills/site-power-cut.yaml', frequency: 'semiannual'},
  {name: 'db-process-crash', file: '/drills/db-process-crash.yaml', frequency: 'annual'},
  {name: 'site-isolation', file: '/drills/site-isolation.yaml', frequency: 'annual'},
  {name: 'planned-switchover', file: '/drills/planned-switchover.yaml'},
]

const lastRuns = (until: Date) => new Map(store.runs({until}).map((r) => [r.drill, r]))

describe('history store and trend', () => {
  it('keeps runs in start order, filters by drill and date, survives reopening', () => {
    expect(store.runs().map((r) => r.started_at.slice(0, 10))).toEqual(['2026-01-15', '2026-04-14', '2026-05-02', '2026-07-10', '2026-10-12', '2026-10-20', '2026-11-05'])
    expect(store.runs({drill: 'kill-primary', since: new Date('2026-07-01')}).map((r) => r.rto_ms)).toEqual([9200, 14500, 9100])
    store.close()
    store = seedStore(path.join(tmp, 'history.sqlite'), [])
    expect(store.runs()).toHaveLength(7)
    expect(store.run('20261012T090000Z-bad001')?.results[0]).toMatchObject({objective: 'rto', met: false})
  })

  it('flags an RTO worse than the median of earlier runs by more than the margin', () => {
    // Three earlier runs: judged only with --min-runs 3 (by default five are needed).
    const rows = withTrend(store.runs({drill: 'kill-primary'}), {kind: 'percent', value: 20}, 3)
    expect(rows.map((r) => [r.rto_ms, r.baseline_rto_ms, r.regression])).toEqual([
      [9000, null, false],
      [9500, 9000, false],
      [9200, 9250, false],
      [14500, 9200, true],
      [9100, 9350, false],
    ])
    expect(rows[3]!.regression_reason).toBe(
      'RTO 14.50 s is 5.30 s worse than the median 9.20 s of 3 earlier run(s), beyond each of: margin 20% = 1.84 s, resolution ± 200 ms, spread of the earlier runs ± 300 ms',
    )
    expect(withTrend(store.runs({drill: 'kill-primary'}))[3]).toMatchObject({regression: false, trend_note: 'not judged: 3 earlier run(s) recovered, a regression needs 5 (RTO 14.50 s against a median 9.20 s)'})
    // An absolute margin: 9.5 s against a 9 s median is within 1 s, 14.5 s is not.
    expect(withTrend(store.runs({drill: 'kill-primary'}), parseMargin('1s', parseDuration)!, 3).filter((r) => r.regression).map((r) => r.rto_ms)).toEqual([14500])
    // Never recovering after runs that did is a regression too.
    const never = withTrend([...store.runs({drill: 'kill-primary'}), {...store.runs({drill: 'kill-primary'})[0]!, run_id: 'n', rto_ms: null}])
    expect(never.at(-1)).toMatchObject({regression: true, regression_reason: expect.stringMatching(/^never recovered/)})
    expect(sparkline([9000, 9500, 14500, null])).toBe('▁▂█✗')
  })

  it('notes attach to runs; a note on an unknown run is bad input', () => {
    store.addNote('20261012T090000Z-bad001', 'Patroni ttl lowered to 10 s (CHG-1234); re-run scheduled', 'M. Park', new Date('2026-10-13T08:00:00Z'))
    expect(store.notes('20261012T090000Z-bad001')).toEqual([{id: 1, run_id: '20261012T090000Z-bad001', at: '2026-10-13T08:00:00.000Z', author: 'M. Park', text: 'Patroni ttl lowered to 10 s (CHG-1234); re-run scheduled'}])
    expect(() => store.addNote('nope', 'x', 'y')).toThrow(/no run nope in the history/)
  })
})

describe('the calendar', () => {
  it('adds calendar months, clamping to the month end', () => {
    expect(addInterval(new Date('2026-01-31T10:00:00Z'), 'monthly').toISOString()).toBe('2026-02-28T10:00:00.000Z')
    expect(addInterval(new Date('2026-11-30T00:00:00Z'), 'quarterly').toISOString()).toBe('2027-02-28T00:00:00.000Z')
    expect(addInterval(new Date('2026-03-01T00:00:00Z'), 'nightly').toISOString()).toBe('2026-03-02T00:00:00.000Z')
    expect(addInterval(new Date('2026-05-02T22:00:00Z'), 'semiannual').toISOString()).toBe('2026-11-02T22:00:00.000Z')
  })

  it('plan: last run, next due, overdue and never run', () => {
    const now = new Date('2027-01-25T00:00:00Z')
    const rows = plan(DRILLS, lastRuns(now), now)
    expect(rows.map((r) => [r.drill, r.last_run?.slice(0, 10) ?? null, r.next_due, r.status])).toEqual([
      ['kill-primary', '2026-11-05', '2027-02-05', 'due'],
      ['site-power-cut', '2026-05-02', '2026-11-02', 'overdue'],
      ['db-process-crash', '2026-10-20', '2027-10-20', 'ok'],
      ['site-isolation', null, '2027-01-25', 'never run'],
      ['planned-switchover', null, null, 'unscheduled'],
    ])
    expect(rows.find((r) => r.drill === 'site-power-cut')!.days_overdue).toBe(83)
    expect(rows.filter(isOverdue).map((r) => r.drill)).toEqual(['site-power-cut', 'site-isolation'])
    // Back in August nothing scheduled was late except what had never run.
    const aug = new Date('2026-08-01T00:00:00Z')
    expect(plan(DRILLS.slice(0, 2), lastRuns(aug), aug).map((r) => r.status)).toEqual(['ok', 'ok'])
  })

  it('periods: year, half, quarter, month, dates; anything else is bad input', () => {
    const iso = (p: {start: Date; end: Date}) => [p.start.toISOString().slice(0, 10), p.end.toISOString().slice(0, 10)]
    expect(iso(parsePeriod('2026'))).toEqual(['2026-01-01', '2027-01-01'])
    expect(iso(parsePeriod('2026-H2'))).toEqual(['2026-07-01', '2027-01-01'])
    expect(iso(parsePeriod('2026-Q4'))).toEqual(['2026-10-01', '2027-01-01'])
    expect(iso(parsePeriod('2026-q1'))).toEqual(['2026-01-01', '2026-04-01'])
    expect(iso(parsePeriod('2026-11'))).toEqual(['2026-11-01', '2026-12-01'])
    expect(iso(parsePeriod('2026-10-01..2026-10-31'))).toEqual(['2026-10-01', '2026-11-01'])
    expect(() => parsePeriod('Q4 2026')).toThrow(/"Q4 2026" is not a period/)
    expect(() => parsePeriod('2026-10-31..2026-10-01')).toThrow(/is not a period/)
  })
})

describe('the period report', () => {
  it('2026-Q4: drills due and run, pass/fail, failures with follow-up notes, drills due and not run', () => {
    store.addNote('20261012T090000Z-bad001', 'Patroni ttl lowered to 10 s (CHG-1234); re-run on 2026-11-05 passed', 'M. Park', new Date('2026-10-13T08:00:00Z'))
    const p = periodReport(store, DRILLS, parsePeriod('2026-Q4'), new Date('2027-01-05T00:00:00Z'))
    expect(p.period).toEqual({label: '2026-Q4', start: '2026-10-01', end: '2026-12-31'})
    expect(p.totals).toEqual({runs: 3, passed: 2, failed: 1, not_completed: 0, due: 4, due_and_run: 2})
    expect(p.drills.map((d) => [d.drill, d.due, d.runs, d.passed, d.failed, d.status])).toEqual([
      ['db-process-crash', true, 1, 1, 0, 'done'],
      ['kill-primary', true, 2, 1, 1, 'failed'],
      ['planned-switchover', false, 0, 0, 0, 'unscheduled'],
      ['site-isolation', true, 0, 0, 0, 'not run'],
      ['site-power-cut', true, 0, 0, 0, 'not run'],
    ])
    // site-power-cut (semiannual) last ran on 2026-05-02, so it fell due on 2026-11-02.
    expect(p.not_run).toEqual(['site-isolation', 'site-power-cut'])

    const md = renderPeriodMarkdown(p)
    expect(md).toMatch(/^# Disaster-recovery drills, 2026-Q4 \(2026-10-01 to 2026-12-31\)$/m)
    expect(md).toContain('**Due and not run:** site-isolation, site-power-cut')
    expect(md).toContain('| kill-primary | quarterly | yes | 2 (1) | 1 | 1 | 0 | **failed** |')
    expect(md).toContain('### kill-primary, run `20261012T090000Z-bad001` (2026-10-12)')
    expect(md).toContain('- rto: measured 14.50 s ± 100 ms, objective 12.00 s: recovered after 14.50 s (over 12.00 s)')
    expect(md).toContain('- Follow-up (2026-10-13, M. Park): Patroni ttl lowered to 10 s (CHG-1234); re-run on 2026-11-05 passed')
    expect(md).toMatch(/\| 2026-11-05 09:00 \| kill-primary \| `.*` \| PASS \| 9\.10 s \| rto 9\.10 s ± 100 ms \/ 12\.00 s ✓; rpo 0 ms \(0 lost\) \/ 0 ms ✓ \| ops \|/)

    const html = renderPeriodHtml(p)
    expect(html).toContain('<p class="alert" id="not-run"><b>Due and not run:</b> site-isolation, site-power-cut</p>')
    expect(html).toContain('<li class="followup">Follow-up (2026-10-13, M. Park): Patroni ttl lowered to 10 s (CHG-1234); re-run on 2026-11-05 passed</li>')
  })

  it('a failure without a follow-up note is called out; the whole year counts every run', () => {
    const p = periodReport(store, DRILLS, parsePeriod('2026'))
    expect(p.totals).toMatchObject({runs: 7, passed: 6, failed: 1})
    expect(p.drills.find((d) => d.drill === 'kill-primary')).toMatchObject({due: true, expected_runs: 4, runs: 5})
    expect(renderPeriodMarkdown(p)).toContain('- **No follow-up recorded.** Add one with `firedrill note RUN_ID "..."`.')
    // H1: site-power-cut (semiannual, never run before) was due and ran in May.
    expect(periodReport(store, DRILLS, parsePeriod('2026-Q3')).drills.find((d) => d.drill === 'site-power-cut')).toMatchObject({due: false, status: 'not due'})
    expect(periodReport(store, DRILLS, parsePeriod('2026-H1')).drills.find((d) => d.drill === 'site-power-cut')).toMatchObject({due: true, runs: 1, status: 'done'})
  })
})

describe('the calendar and the trend tell the truth', () => {
  const seeds = (rtos: number[], resolution = 100) =>
    rtos.map((rto, i) => ({...seedResult({drill: 'kill-primary', at: `2026-0${i + 1}-10T09:00:00Z`, rto}), measurements: {...seedResult({drill: 'x', at: '2026-01-01T00:00:00Z'}).measurements, rto_ms: rto, resolution_ms: resolution}}))
  const trendOf = (results: ReturnType<typeof seeds>) => {
    const s = seedStore(path.join(tmp, `trend-${Math.random()}.sqlite`), [])
    for (const r of results) s.recordRun(r)
    const rows = withTrend(s.runs())
    s.close()
    return rows
  }

  it('the issue\'s case: 1.25 s against a median of 1.01 s over two earlier runs at ± 100 ms is not a regression, and says why', () => {
    const last = trendOf(seeds([1000, 1020, 1250])).at(-1)!
    expect(last).toMatchObject({regression: false, baseline_rto_ms: 1010, baseline_runs: 2})
    expect(last.trend_note).toBe('not judged: 2 earlier run(s) recovered, a regression needs 5 (RTO 1.25 s against a median 1.01 s)')
  })

  it('five steady earlier runs: 1.25 s is a regression beyond margin, resolution and spread; amid spread it is noise', () => {
    const steady = trendOf(seeds([1000, 1010, 990, 1020, 1000, 1250], 10)).at(-1)!
    expect(steady.regression).toBe(true)
    expect(steady.regression_reason).toBe('RTO 1.25 s is 250 ms worse than the median 1.00 s of 5 earlier run(s), beyond each of: margin 20% = 200 ms, resolution ± 20 ms, spread of the earlier runs ± 20 ms')
    // At ± 150 ms per run, the two runs' resolution (300 ms) covers the 250 ms difference; a wide spread does too.
    const coarse = trendOf(seeds([1000, 1010, 990, 1020, 1000, 1250], 150)).at(-1)!
    expect(coarse.regression).toBe(false)
    expect(coarse.trend_note).toMatch(/^within the noise: RTO 1\.25 s is 250 ms over the median 1\.00 s of 5 earlier run\(s\), not beyond all of: margin 20% = 200 ms, resolution ± 300 ms/)
    const noisy = trendOf(seeds([700, 1300, 1000, 1200, 800, 1250], 10)).at(-1)!
    expect(noisy).toMatchObject({regression: false, trend_note: expect.stringContaining('spread of the earlier runs ± 300 ms')})
  })

  it('an aborted run is never judged nor part of a median; plan counts only completed runs and lists the aborted one apart', () => {
    const s = seedStore(path.join(tmp, 'aborted.sqlite'))
    const aborted = {...seedResult({drill: 'kill-primary', at: '2026-11-20T09:00:00Z', rto: null, verdict: 'fail', run: '20261120T090000Z-ab0rt1'}), status: 'aborted' as const}
    aborted.measurements = {...aborted.measurements, rto_ms: null, rpo_ms: null, lost_writes: null, impact_ms: null}
    aborted.results = aborted.results.map((o) => ({...o, measured_ms: null, measured: 'not measured', met: false, reason: 'not measured: the run was aborted (the engine went away)'}))
    s.recordRun(aborted)
    const now = new Date('2026-12-01T00:00:00Z')
    const {last, later} = heldRuns(s.runs({until: now}))
    const row = plan(DRILLS.slice(0, 1), last, now, later)[0]!
    expect(row).toMatchObject({last_run_id: '20261105T0900Z-kill-p', last_verdict: 'pass', next_due: '2027-02-05', later_incomplete: [{run_id: '20261120T090000Z-ab0rt1', started_at: '2026-11-20T09:00:00Z', status: 'aborted'}]})
    expect(planTable([row], [])).toContain('kill-primary: run 20261120T090000Z-ab0rt1 (2026-11-20 09:00) was aborted, not measured: it does not count as the drill held')
    expect(planTable([row], [])).toMatch(/kill-primary .* quarterly .* 2026-11-05 09:00 .* PASS .* 2027-02-05 .* ok/)
    const rows = withTrend(s.runs({drill: 'kill-primary'}), DEFAULT_MARGIN, 3)
    expect(rows.at(-1)).toMatchObject({regression: false, trend_note: 'not judged: the run was aborted, nothing was measured'})
    const q4 = periodReport(s, DRILLS.slice(0, 1), parsePeriod('2026-Q4'))
    expect(q4.drills.find((d) => d.drill === 'kill-primary')).toMatchObject({runs: 2, not_completed: 1, status: 'failed'})
    expect(q4.totals).toMatchObject({runs: 4, passed: 2, failed: 1, not_completed: 1})
    const md = renderPeriodMarkdown(q4)
    expect(md).toContain('| `20261120T090000Z-ab0rt1` | **ABORTED** | aborted, not measured |')
    expect(md).not.toMatch(/ab0rt1.*never recovered/)
    expect(renderPeriodHtml(q4)).toContain('<td>aborted, not measured</td>')
    // A quarter whose only run was aborted: the drill was not held.
    const only = seedStore(path.join(tmp, 'only-aborted.sqlite'), [])
    only.recordRun(aborted)
    expect(periodReport(only, DRILLS.slice(0, 1), parsePeriod('2026-Q4')).drills[0]).toMatchObject({runs: 0, not_completed: 1, status: 'not run'})
    const alone = heldRuns(only.runs())
    expect(plan(DRILLS.slice(0, 1), alone.last, now, alone.later)[0]).toMatchObject({status: 'never run', later_incomplete: [{status: 'aborted'}]})
    only.close()
    s.close()
  })

  it('a store written before status was kept learns it from the results when opened', () => {
    const file = path.join(tmp, 'v1.sqlite')
    const db = new DatabaseSync(file)
    db.exec(`CREATE TABLE runs (run_id TEXT PRIMARY KEY, drill TEXT NOT NULL, drill_file TEXT NOT NULL, topology TEXT NOT NULL, verdict TEXT NOT NULL, started_at TEXT NOT NULL, finished_at TEXT NOT NULL, duration_ms INTEGER NOT NULL, rto_ms REAL, rpo_ms REAL, lost_writes INTEGER, results TEXT NOT NULL, bundle TEXT, operator TEXT);
      CREATE TABLE notes (id INTEGER PRIMARY KEY AUTOINCREMENT, run_id TEXT NOT NULL REFERENCES runs(run_id), at TEXT NOT NULL, author TEXT NOT NULL, text TEXT NOT NULL);
      PRAGMA user_version = 1;`)
    const insert = db.prepare("INSERT INTO runs VALUES (?, 'kill-primary', 'd.yaml', 'bank-3site', 'fail', ?, ?, 1000, NULL, NULL, NULL, ?, NULL, 'ops')")
    insert.run('old-aborted', '2026-11-01T00:00:00Z', '2026-11-01T00:01:00Z', JSON.stringify([{objective: 'rto', reason: 'not measured: the run was aborted (past its deadline)'}]))
    insert.run('old-failed', '2026-11-02T00:00:00Z', '2026-11-02T00:01:00Z', JSON.stringify([{objective: 'rto', reason: 'never recovered'}]))
    db.close()
    const s = HistoryStore.open(file)
    expect(s.runs().map((r) => [r.run_id, r.status, r.resolution_ms])).toEqual([
      ['old-aborted', 'aborted', null],
      ['old-failed', 'completed', null],
    ])
    s.close()
  })
})
