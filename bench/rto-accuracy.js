#!/usr/bin/env node
// RTO accuracy against ground truth: firedrill's own drill freezes the primary for exactly D seconds
// (fault: pause, sleep: D, heal) and firedrill measures the RTO; the benchmark compares the recovery
// instant firedrill reports with the instant the primary was thawed, both read off the run's own
// timeline (one monotonic clock). See bench/README.md, "RTO accuracy", for the ground truth and offsets.
//   node bench/rto-accuracy.js [--quick] [--reps N] [--outages 1,3,10] [--intervals 100,10] [--out FILE]
// Default: 10 repetitions of each outage at each interval (--quick: 2). A topology of its own
// (project fdbench-rto), left as found. Patroni is put in maintenance mode (patronictl pause) for the
// benchmark and resumed after, so the 10 s freeze (longer than the 7 s leader TTL) is not a failover.
import {execFileSync} from 'node:child_process'

import {cli, jsonLines, load, machine, parseArgs, stats, writeResults} from './lib/common.js'
import {freezeDrill} from './lib/drills.js'
import {embeddedAs, ensureUp, leaderContainer, scratch} from './lib/topology.js'

const opts = parseArgs()
const flag = (name, dflt) => {
  const i = opts.rest.indexOf(name)
  return i >= 0 ? opts.rest[i + 1] : dflt
}
const reps = Number(flag('--reps', opts.quick ? 2 : 10))
const outages = flag('--outages', '1,3,10').split(',').map(Number)
const intervals = flag('--intervals', '100,10').split(',').map(Number)
const PROBE_TIMEOUT_MS = 500
const STABLE = 3
const project = 'fdbench-rto'

const tmp = scratch('fdbench-rto')
const env = {FIREDRILL_HOME: tmp.home}
const topology = tmp.write('topology.yaml', embeddedAs(project))


/** Ground truth and firedrill's figure for one run, from its timeline (ms since the run started). */
function analyse(run, intervalMs) {
  const ev = (kind, re = /./) => run.timeline.find((e) => e.kind === kind && re.test(e.detail))
  const fault = ev('fault')
  const frozen = ev('fault-done')
  const healStep = ev('step', /: heal freeze$/)
  const thawed = ev('revert', /^heal: unpause/)
  const waitStep = run.steps.find((s) => s.kind === 'wait')
  const m = run.measurements
  if (!fault || !frozen || !healStep || !thawed || m.rto_ms === null) return {run_id: run.run_id, ok: false, rto_ms: m.rto_ms, verdict: run.verdict}
  const recoveredAt = fault.t_ms + m.rto_ms
  const r2 = (x) => Math.round(x * 100) / 100
  return {
    run_id: run.run_id,
    ok: true,
    rto_ms: m.rto_ms,
    // The freeze is in effect from the pause call's completion to the unpause call.
    true_outage_ms: r2(healStep.t_ms - frozen.t_ms),
    // firedrill's RTO counts from t_fault (just before the pause call): its true value is thaw − t_fault.
    true_rto_ms: r2(healStep.t_ms - fault.t_ms),
    error_ms: r2(recoveredAt - healStep.t_ms),
    // The thaw takes effect somewhere inside the unpause call; measured from its completion instead:
    error_after_unpause_ms: r2(recoveredAt - thawed.t_ms),
    pause_call_ms: r2(frozen.t_ms - fault.t_ms),
    unpause_call_ms: r2(thawed.t_ms - healStep.t_ms),
    // stable_samples: recovery is stamped at the first of N ok samples, and known only N−1 samples later.
    detect_lag_ms: waitStep?.duration_ms !== undefined ? r2(waitStep.started_ms + waitStep.duration_ms - recoveredAt) : null,
    impact_ms: m.impact_ms,
    lost_writes: m.lost_writes,
    indeterminate_writes: m.indeterminate_writes,
    interval_ms: intervalMs,
  }
}

const before = load()
const started = Date.now()
const {up, restore} = ensureUp(topology, env)
const leader = leaderContainer(topology, env)
const patronictl = (...args) => execFileSync('docker', ['exec', leader, 'patronictl', ...args], {encoding: 'utf8'})
const rows = []
const runs = []
try {
  patronictl('pause', '--wait')
  for (const intervalMs of intervals) {
    for (const outageS of outages) {
      const file = tmp.write(`freeze-${outageS}s-${intervalMs}ms.yaml`, freezeDrill({topology, outageS, intervalMs, timeoutMs: PROBE_TIMEOUT_MS, stableSamples: STABLE}))
      const r = cli(['run', file, '--repeat', String(reps), '--keep', '--json'], {env})
      const [out] = jsonLines(r, `run ${file}`)
      const list = (out.runs ?? [out]).map((x) => analyse(x, intervalMs))
      runs.push(...list.map((x) => ({outage_ms: outageS * 1000, ...x})))
      const good = list.filter((x) => x.ok)
      const abs = good.map((x) => Math.abs(x.error_ms))
      const row = {
        outage_ms: outageS * 1000,
        interval_ms: intervalMs,
        runs: good.length,
        failed_runs: list.length - good.length,
        mean_abs_error_ms: abs.length ? Math.round((abs.reduce((a, b) => a + b, 0) / abs.length) * 100) / 100 : null,
        max_abs_error_ms: abs.length ? Math.max(...abs) : null,
        target_ms: intervalMs + 20,
        within_target: abs.length > 0 && Math.max(...abs) <= intervalMs + 20,
        error_ms: stats(good.map((x) => x.error_ms)),
        error_after_unpause_ms: stats(good.map((x) => x.error_after_unpause_ms)),
        true_outage_ms: stats(good.map((x) => x.true_outage_ms)),
        rto_ms: stats(good.map((x) => x.rto_ms)),
        pause_call_ms: stats(good.map((x) => x.pause_call_ms)),
        unpause_call_ms: stats(good.map((x) => x.unpause_call_ms)),
        detect_lag_ms: stats(good.map((x) => x.detect_lag_ms)),
        lost_writes: good.map((x) => x.lost_writes),
      }
      rows.push(row)
      console.log(
        `D ${outageS} s, interval ${intervalMs} ms: n ${row.runs}${row.failed_runs ? ` (+${row.failed_runs} unusable)` : ''}, error mean |${row.mean_abs_error_ms}| max |${row.max_abs_error_ms}| ms (signed median ${row.error_ms.median}, range ${row.error_ms.min}..${row.error_ms.max}; from the unpause call's completion: median ${row.error_after_unpause_ms.median}); unpause call median ${row.unpause_call_ms.median} ms; true outage median ${row.true_outage_ms.median} ms; detect lag median ${row.detect_lag_ms.median} ms`,
      )
    }
  }
} finally {
  try {
    patronictl('resume', '--wait')
  } catch (error) {
    console.error(`patronictl resume failed: ${error.message}`)
  }
  restore()
  tmp.cleanup()
}
const result = {
  benchmark: 'rto-accuracy',
  command: `node bench/rto-accuracy.js ${process.argv.slice(2).join(' ')}`.trim(),
  machine: machine(),
  load_before: before,
  load_after: load(),
  wall_s: Math.round((Date.now() - started) / 1000),
  method: {
    fault: 'firedrill pause fault (cgroup freezer) on the postgres leader container, sleep D, heal; Patroni in maintenance mode (patronictl pause) so no failover',
    probe_timeout_ms: PROBE_TIMEOUT_MS,
    stable_samples: STABLE,
    truth: 'outage = unpause call start − pause call completion; error = (t_fault + RTO) − unpause call start',
  },
  topology_up_ms: up.duration_ms,
  rto_accuracy: rows,
  runs,
}
writeResults('rto-accuracy', result, opts.out)
