import {PassThrough} from 'node:stream'

import {describe, expect, it} from 'vitest'

import {terminalOperator} from '../../src/cli/terminal-operator.js'
import {formatBytes, parseDf} from '../../src/faults/disk-full.js'
import {liveStatus} from '../../src/drill/steps.js'
import {gradeRepeat, percentile, stats, type RepeatedRun} from '../../src/grade/repeat.js'
import type {ObjectiveResult} from '../../src/model/objectives.js'

function run(rto: number | null, opts: {lost?: number; rtoTarget?: number} = {}): RepeatedRun {
  const target = opts.rtoTarget ?? 10_000
  const lost = opts.lost ?? 0
  const results: ObjectiveResult[] = [
    {objective: 'rto', target_ms: target, measured_ms: rto, target: '10 s', measured: rto === null ? 'never recovered' : `${rto} ms`, met: rto !== null && rto <= target, reason: 'r'},
    {objective: 'rpo', target_ms: 0, measured_ms: 0, target: '0 ms', measured: `0 ms (${lost} lost)`, met: lost === 0, reason: 'r'},
  ]
  return {results, measurements: {rto_ms: rto, rpo_ms: 0, lost_writes: lost}}
}

describe('percentiles and spreads', () => {
  it('nearest rank', () => {
    const v = Array.from({length: 20}, (_, i) => i + 1)
    expect([percentile(v, 50), percentile(v, 95), percentile(v, 100), percentile([7], 95)]).toEqual([10, 19, 20, 7])
  })

  it('min / median / p95 / max of what was measured', () => {
    expect(stats([3000, null, 1000, 2000])).toEqual({runs: 3, min: 1000, median: 2000, p95: 3000, max: 3000})
    expect(stats([null, null])).toBeNull()
  })
})

describe('grading N runs', () => {
  const runs = [run(6000), run(7000), run(8000), run(12_000)]

  it('on the worst run by default: one slow run fails the drill', () => {
    const g = gradeRepeat(runs, 'worst')
    expect(g.verdict).toBe('fail')
    expect(g.results[0]).toMatchObject({objective: 'rto', met: false, measured_ms: 12_000, reason: expect.stringMatching(/^1 of 4 runs missed it; graded on the worst run/)})
    expect(g.statistics.rto_ms).toEqual({runs: 4, min: 6000, median: 7000, p95: 12_000, max: 12_000})
  })

  it('on the median run: a single outlier does not', () => {
    const g = gradeRepeat(runs, 'median')
    expect(g.verdict).toBe('pass')
    expect(g.results[0]).toMatchObject({met: true, measured_ms: 7000, measured: expect.stringMatching(/^median 7\.00 s; 6\.00 s \/ 7\.00 s \/ 12\.00 s \/ 12\.00 s/)})
  })

  it('a run that never recovered ranks worst, and lost writes fail the RPO', () => {
    const g = gradeRepeat([run(6000), run(null), run(7000, {lost: 3})], 'worst')
    expect(g.results.map((r) => [r.objective, r.met, r.measured])).toEqual([
      ['rto', false, 'worst: never recovered'],
      ['rpo', false, expect.stringMatching(/^worst 0 ms/)],
    ])
    expect(g.statistics.lost_writes).toMatchObject({max: 3, runs: 3})
  })
})

describe('disk-full reads df', () => {
  it('parses the last line of df --output=avail,size,fstype', () => {
    expect(parseDf('    Avail     Size Type\n268435456 268435456 tmpfs\n')).toEqual({availBytes: 268_435_456, sizeBytes: 268_435_456, fstype: 'tmpfs'})
    expect(parseDf('df: /nope: No such file or directory\n')).toBeUndefined()
    expect([formatBytes(512), formatBytes(3 * 1024 * 1024), formatBytes(5 * 1024 ** 3)]).toEqual(['512 B', '3.0 MiB', '5.00 GiB'])
  })
})

describe('the operator at a terminal', () => {
  const step = {number: 4, of: 9, title: 'Promote busan', instructions: 'Run the break-glass script.', timeoutMs: 5000}
  const streams = () => {
    const input = new PassThrough()
    const output = new PassThrough()
    let shown = ''
    output.on('data', (d: Buffer) => (shown += d.toString()))
    return {input, output, shown: () => shown}
  }

  it('shows the instructions and waits for "done", asking again on anything else', async () => {
    const s = streams()
    const answer = terminalOperator('alice', s.input, s.output).confirm(step)
    s.input.write('ok\n')
    s.input.write('done\n')
    expect(await answer).toBe('done')
    expect(s.shown()).toContain('Manual step 4/9: Promote busan')
    expect(s.shown()).toContain('Run the break-glass script.')
    expect(s.shown()).toContain('Type "done" when it is done, or "fail"')
  })

  it('"fail" means it could not be done; a closed terminal too', async () => {
    const a = streams()
    const failed = terminalOperator('bob', a.input, a.output).confirm(step)
    a.input.write('fail\n')
    expect(await failed).toBe('failed')
    const b = streams()
    const gone = terminalOperator('bob', b.input, b.output).confirm(step)
    b.input.end()
    expect(await gone).toBe('failed')
  })

  it('no answer in time, and Ctrl-C while waiting', async () => {
    const a = streams()
    expect(await terminalOperator('carol', a.input, a.output).confirm({...step, timeoutMs: 30})).toBe('timed-out')
    const b = streams()
    const controller = new AbortController()
    const waiting = terminalOperator('carol', b.input, b.output).confirm(step, controller.signal)
    controller.abort(new Error('SIGINT'))
    await expect(waiting).rejects.toThrow('SIGINT')
  })
})

describe('the live state shown while a drill runs', () => {
  const s = (start: number, outcome: 'ok' | 'failed' | 'indeterminate') => ({seq: start, start, end: start + 5, outcome, node: 'n'}) as never
  it('writes per second over the last second, failing for how long, time since the fault', () => {
    const samples = [s(0, 'ok'), s(100, 'ok'), s(900, 'ok'), s(1000, 'failed'), s(1100, 'indeterminate')]
    expect(liveStatus(samples, 950, 1500)).toBe('1 writes/s, failing for 500 ms, 550 ms since the fault')
    expect(liveStatus(samples.slice(0, 3), undefined, 1000)).toBe('3 writes/s')
    // A probe that only checks (http, tcp, command) has ok samples, not writes.
    expect(liveStatus(samples.slice(0, 3), undefined, 1000, false)).toBe('3 ok/s')
  })
})
