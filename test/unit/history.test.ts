import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {parseDuration} from '../../src/config/duration.js'
import {addInterval, isOverdue, parsePeriod, plan, type ScheduledDrill} from '../../src/history/calendar.js'
import {periodReport} from '../../src/history/period.js'
import {renderPeriodHtml, renderPeriodMarkdown} from '../../src/report/period.js'
import type {HistoryStore} from '../../src/history/store.js'
import {parseMargin, sparkline, withTrend} from '../../src/history/trend.js'
import {seedStore} from '../support/history.js'

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
    const rows = withTrend(store.runs({drill: 'kill-primary'}), {kind: 'percent', value: 20})
    expect(rows.map((r) => [r.rto_ms, r.baseline_rto_ms, r.regression])).toEqual([
      [9000, null, false],
      [9500, 9000, false],
      [9200, 9250, false],
      [14500, 9200, true],
      [9100, 9350, false],
    ])
    expect(rows[3]!.regression_reason).toBe('RTO 14.50 s is worse than the median 9.20 s of 3 earlier run(s) by more than 20%')
    // An absolute margin: 9.5 s against a 9 s median is within 1 s, 14.5 s is not.
    expect(withTrend(store.runs({drill: 'kill-primary'}), parseMargin('1s', parseDuration)!).filter((r) => r.regression).map((r) => r.rto_ms)).toEqual([14500])
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
    expect(p.totals).toEqual({runs: 3, passed: 2, failed: 1, due: 4, due_and_run: 2})
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
    expect(md).toContain('| kill-primary | quarterly | yes | 2 (1) | 1 | 1 | **failed** |')
    expect(md).toContain('### kill-primary, run `20261012T090000Z-bad001` (2026-10-12)')
    expect(md).toContain('- rto: measured 14.50 s ± 100 ms, objective 12.00 s: recovered after 14.50 s (over 12.00 s)')
    expect(md).toContain('- Follow-up (2026-10-13, M. Park): Patroni ttl lowered to 10 s (CHG-1234); re-run on 2026-11-05 passed')
    expect(md).toMatch(/\| 2026-11-05 09:00 \| kill-primary \| `.*` \| PASS \| rto 9\.10 s ± 100 ms \/ 12\.00 s ✓; rpo 0 ms \(0 lost\) \/ 0 ms ✓ \| ops \|/)

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
