#!/usr/bin/env node
// The http and tcp probe kinds against ground truth (issue 12), on a topology of the benchmark's own
// (project fdbench-probes: one container running bench/lib/http-service.js's API and TCP greeter).
//   RTO accuracy: the container frozen for exactly D s (fault: pause, sleep: D, heal) while three probes
//   run on one clock (http GET /health, tcp with a banner, http writes); for each probe, error = the
//   recovery firedrill reports (t_fault + RTO) − the unpause call's start, both on the run's timeline.
//   RPO exactness: the API forgets exactly M acknowledged writes (a disruptive runbook that prints which);
//   firedrill must report exactly those sequence numbers lost, read back through the API.
//   node bench/probe-accuracy.js [--quick] [--reps N] [--outages 1,3] [--interval 100] [--lost 1,10] [--out FILE]
// Default 5 repetitions of each outage and 3 of each loss (--quick: 2 and 1). Left as found.
import {cli, jsonLines, load, machine, parseArgs, stats, writeResults} from './lib/common.js'
import {httpFreezeDrill, httpLossDrill, httpServiceTopology} from './lib/http-service.js'
import {ensureUp, scratch} from './lib/topology.js'

const opts = parseArgs()
const flag = (name, dflt) => {
  const i = opts.rest.indexOf(name)
  return i >= 0 ? opts.rest[i + 1] : dflt
}
const reps = Number(flag('--reps', opts.quick ? 2 : 5))
const lossReps = opts.quick ? 1 : 3
const outages = flag('--outages', '1,3').split(',').map(Number)
const intervalMs = Number(flag('--interval', '100'))
const losses = flag('--lost', '1,10').split(',').map(Number)
const TIMEOUT_MS = 500
const project = 'fdbench-probes'

const tmp = scratch('fdbench-probes')
const env = {FIREDRILL_HOME: tmp.home}
const topology = tmp.write('topology.yaml', httpServiceTopology(project))
const r2 = (x) => Math.round(x * 100) / 100

function freezeRun(run) {
  const ev = (kind, re = /./) => run.timeline.find((e) => e.kind === kind && re.test(e.detail))
  const fault = ev('fault')
  const heal = ev('step', /: heal freeze$/)
  const thawed = ev('revert', /^heal: unpause/)
  return (run.probes ?? []).map((p) => ({
    run_id: run.run_id,
    probe: p.name,
    kind: p.probe.kind,
    ok: Boolean(fault && heal && thawed && p.measurements.rto_ms !== null),
    rto_ms: p.measurements.rto_ms,
    true_rto_ms: fault && heal ? r2(heal.t_ms - fault.t_ms) : null,
    error_ms: fault && heal && p.measurements.rto_ms !== null ? r2(fault.t_ms + p.measurements.rto_ms - heal.t_ms) : null,
    error_after_unpause_ms: fault && thawed && p.measurements.rto_ms !== null ? r2(fault.t_ms + p.measurements.rto_ms - thawed.t_ms) : null,
    lost_writes: p.measurements.lost_writes,
  }))
}

const before = load()
const started = Date.now()
const {up, restore} = ensureUp(topology, env)
const rtoRows = []
const rpoRows = []
const runs = []
try {
  for (const outageS of outages) {
    const file = tmp.write(`freeze-${outageS}s.yaml`, httpFreezeDrill({topology, outageS, intervalMs, timeoutMs: TIMEOUT_MS}))
    const r = cli(['run', file, '--repeat', String(reps), '--keep', '--json'], {env})
    const [out] = jsonLines(r, `run ${file}`)
    const list = (out.runs ?? [out]).flatMap(freezeRun)
    runs.push(...list.map((x) => ({outage_ms: outageS * 1000, ...x})))
    for (const name of ['api', 'conn', 'writes']) {
      const good = list.filter((x) => x.probe === name && x.ok)
      const abs = good.map((x) => Math.abs(x.error_ms))
      const row = {
        probe: name,
        kind: good[0]?.kind ?? null,
        outage_ms: outageS * 1000,
        interval_ms: intervalMs,
        timeout_ms: TIMEOUT_MS,
        runs: good.length,
        failed_runs: list.filter((x) => x.probe === name).length - good.length,
        max_abs_error_ms: abs.length ? Math.max(...abs) : null,
        // Samples go one at a time: one stuck at the thaw (its connection attempt dropped by a full accept backlog) ends at its timeout.
        target_ms: intervalMs + TIMEOUT_MS + 150,
        within_target: abs.length > 0 && Math.max(...abs) <= intervalMs + TIMEOUT_MS + 150,
        error_ms: stats(good.map((x) => x.error_ms)),
        error_after_unpause_ms: stats(good.map((x) => x.error_after_unpause_ms)),
        lost_writes: good.map((x) => x.lost_writes),
      }
      rtoRows.push(row)
      console.log(`RTO ${name} (${row.kind}), D ${outageS} s, interval ${intervalMs} ms: n ${row.runs}, error median ${row.error_ms.median} ms (range ${row.error_ms.min}..${row.error_ms.max}), max |${row.max_abs_error_ms}| ms`)
    }
  }
  for (const lost of losses) {
    const results = []
    for (let i = 0; i < lossReps; i++) {
      const file = tmp.write(`lose-${lost}-${i}.yaml`, httpLossDrill({topology, lost}))
      const r = cli(['run', file, '--keep', '--json'], {env})
      const [out] = jsonLines(r, `run ${file}`)
      const said = out.timeline.find((e) => e.kind === 'runbook')?.detail ?? ''
      const forgot = (/forgot ([\d,]+)/.exec(said)?.[1] ?? '').split(',').filter(Boolean).map(Number)
      const m = out.measurements
      results.push({run_id: out.run_id, forgot, lost_seqs: m.lost_seqs, lost_writes: m.lost_writes, rpo_ms: m.rpo_ms, exact: m.lost_writes === lost && JSON.stringify(m.lost_seqs) === JSON.stringify(forgot)})
    }
    const row = {lost, runs: results.length, exact_runs: results.filter((x) => x.exact).length, reported_lost: results.map((x) => x.lost_writes), rpo_ms: stats(results.map((x) => x.rpo_ms).filter((x) => x !== null))}
    rpoRows.push(row)
    runs.push(...results.map((x) => ({loss: lost, ...x})))
    console.log(`RPO http write/read, M ${lost}: exact in ${row.exact_runs} of ${row.runs} runs (reported lost ${row.reported_lost.join(', ')})`)
  }
} finally {
  restore()
  tmp.cleanup()
}
writeResults(
  'probe-accuracy',
  {
    benchmark: 'probe-accuracy',
    command: `node bench/probe-accuracy.js ${process.argv.slice(2).join(' ')}`.trim(),
    machine: machine(),
    load_before: before,
    load_after: load(),
    wall_s: Math.round((Date.now() - started) / 1000),
    method: {
      rto: 'firedrill pause fault (cgroup freezer) on the web container for D s, heal; probes api (http GET /health), conn (tcp, banner ^HELLO), writes (http POST, read back per seq); error = (t_fault + RTO) − heal step start',
      rpo: 'a disruptive runbook makes the API forget its last M stored writes and prints their sequence numbers; exact = firedrill lost_seqs equal those',
    },
    topology_up_ms: up.duration_ms,
    rto_accuracy: rtoRows,
    rpo_exactness: rpoRows,
    runs,
  },
  opts.out,
)
