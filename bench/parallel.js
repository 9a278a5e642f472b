#!/usr/bin/env node
// run --parallel: does measurement stay honest under the load, and what does it save?
//   node bench/parallel.js [--quick] [--skip-ratio] [--skip-accuracy] [--out FILE]
// 1. RTO error, 1 vs 3 drills at a time, in one invocation: three freeze drills (the primary frozen
//    for exactly 3 s under Patroni maintenance mode, as bench/rto-accuracy.js; the truth is the heal
//    step on the run's own timeline), each --repeat R, run with --parallel 1 (on the topology) and
//    with --parallel 3 (each on its own copy).
// 2. RPO exactness, 1 vs 3 at a time: three drills that lose exactly M = 10 acknowledged writes (the
//    write gate of bench/rpo-accuracy.js; a watcher reads the gate's own record on every PostgreSQL
//    node of the topology and its copies, independently of firedrill), --parallel 1 and --parallel 3.
// 3. parallel_ratio: wall time of `run drills/ --parallel 3` over that of `run drills/` (the 7
//    shipped drills; each run brings its topologies up and takes them down, as a nightly job would).
// Topologies of the benchmark's own (projects parbench-*), left as found; run under the integration lock.
import {execFileSync} from 'node:child_process'
import {readdirSync} from 'node:fs'
import path from 'node:path'


import {BIN, load, machine, parseArgs, ROOT, run, stats, writeResults} from './lib/common.js'
import {gateWatcher} from './lib/gate-watch.js'
import {freezeDrill, lossDrill, lossTopology} from './lib/drills.js'
import {embeddedAs, scratch} from './lib/topology.js'

const opts = parseArgs()
const skip = (what) => opts.rest.includes(`--skip-${what}`)
const REPS = opts.quick ? 1 : 2
const OUTAGE_S = 3
const INTERVAL_MS = 100
const LOST = 10
const tmp = scratch('parbench')
const env = {...process.env, FIREDRILL_HOME: tmp.home}

async function firedrill(args) {
  const t = performance.now()
  const r = await run(process.execPath, [BIN, ...args], {env})
  const wall_s = Math.round((performance.now() - t) / 10) / 100
  const lines = r.stdout.trim().split('\n').filter(Boolean)
  let out
  try {
    out = lines.map((l) => JSON.parse(l))
  } catch {
    throw new Error(`firedrill ${args.join(' ')}: exit ${r.status}, stdout not JSON lines\n${r.stdout.slice(0, 2000)}\n${r.stderr.slice(-4000)}`)
  }
  return {status: r.status, out, wall_s, stderr: r.stderr}
}

const named = (text, name) => text.replace(/^name: .*$/m, `name: ${name}`)
const r2 = (x) => (x === null || x === undefined ? null : Math.round(x * 100) / 100)

// --- 1. RTO error -------------------------------------------------------------------------------
/** The freeze drill with Patroni put in maintenance mode first and taken out of it last (a copy is new to every run). */
function freezeUnderPause(topology, name) {
  const leader = '{service: postgres, role: leader}'
  return named(freezeDrill({topology, outageS: OUTAGE_S, intervalMs: INTERVAL_MS, timeoutMs: 500, stableSamples: 3}), name)
    .replace('steps:\n', `steps:\n  - runbook: Patroni maintenance mode (a freeze, not a failover)\n    argv: [patronictl, pause, --wait]\n    in: ${leader}\n`)
    .replace(/\n$/, `\n  - runbook: Patroni back out of maintenance mode\n    argv: [patronictl, resume, --wait]\n    in: ${leader}\n`)
}

function rtoRow(run) {
  const ev = (kind, re = /./) => run.timeline.find((e) => e.kind === kind && re.test(e.detail))
  const fault = ev('fault')
  const heal = ev('step', /: heal freeze$/)
  const m = run.measurements
  if (!fault || !heal || m.rto_ms === null) return {run_id: run.run_id, topology: run.topology, ok: false, verdict: run.verdict}
  return {run_id: run.run_id, topology: run.topology, ok: true, rto_ms: m.rto_ms, true_rto_ms: r2(heal.t_ms - fault.t_ms), error_ms: r2(fault.t_ms + m.rto_ms - heal.t_ms), lost_writes: m.lost_writes}
}

async function rtoAccuracy() {
  const topology = tmp.write('parbench-rto.yaml', embeddedAs('parbench-rto'))
  const drills = ['a', 'b', 'c'].map((x) => tmp.write(`freeze-${x}.yaml`, freezeUnderPause(topology, `freeze-${OUTAGE_S}s-${x}`)))
  const rows = []
  for (const parallel of [1, 3]) {
    const r = await firedrill(['run', ...drills, '--parallel', String(parallel), '--repeat', String(REPS), '--ci', '--json'])
    const runs = r.out.flatMap((o) => o.runs ?? [o]).map(rtoRow)
    const good = runs.filter((x) => x.ok)
    const abs = good.map((x) => Math.abs(x.error_ms))
    const row = {
      parallel,
      exit: r.status,
      wall_s: r.wall_s,
      runs: good.length,
      unusable_runs: runs.length - good.length,
      topologies: [...new Set(runs.map((x) => x.topology))].sort(),
      error_ms: stats(good.map((x) => x.error_ms)),
      max_abs_error_ms: abs.length ? Math.max(...abs) : null,
      target_ms: INTERVAL_MS + 20,
      within_target: abs.length > 0 && Math.max(...abs) <= INTERVAL_MS + 20,
      rto_ms: stats(good.map((x) => x.rto_ms)),
      lost_writes: good.map((x) => x.lost_writes),
      run_rows: runs,
    }
    rows.push(row)
    console.log(`RTO, --parallel ${parallel}: ${row.runs} runs (${row.unusable_runs} unusable) on ${row.topologies.join(', ')}; error median ${row.error_ms.median} ms, range ${row.error_ms.min}..${row.error_ms.max}, max |${row.max_abs_error_ms}| ms; wall ${r.wall_s} s`)
    if (r.status !== 0 && r.status !== 1) console.log(r.stderr.slice(-3000))
  }
  return rows
}

// --- 2. RPO exactness ----------------------------------------------------------------------------
/** The WAN addresses of every PostgreSQL node of the projects named fd-PREFIX*, for the gate watcher (bench/lib/gate-watch.js). */
function postgresOf(prefix) {
  const ids = execFileSync('docker', ['ps', '-q', '--filter', `name=fd-${prefix}`, '--filter', 'label=io.firedrill.service=postgres'], {encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore']}).trim().split('\n').filter(Boolean)
  if (ids.length === 0) return []
  const out = execFileSync('docker', ['inspect', '--format', '{{range $k, $v := .NetworkSettings.Networks}}{{$k}}={{$v.IPAddress}} {{end}}', ...ids], {encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore']})
  return out.trim().split('\n').flatMap((line) => line.split(' ').filter((p) => /-wan=/.test(p)).map((p) => p.split('=')[1])).filter(Boolean)
}

/** The loss drill with synchronous replication switched off first (Patroni), as bench/rpo-accuracy.js does from outside. */
function lossOnCopy(topology, name) {
  return named(lossDrill({topology, lost: LOST, intervalMs: 20}), name).replace(
    'steps:\n',
    "steps:\n  - runbook: asynchronous replication (a synchronous standby would refuse to lose writes)\n    argv: [patronictl, edit-config, --force, -s, synchronous_mode=false]\n    in: {service: postgres, role: leader}\n",
  )
}

async function rpoExactness() {
  const topology = tmp.write('parbench-rpo.yaml', lossTopology(embeddedAs('parbench-rpo')))
  const drills = ['a', 'b', 'c'].map((x) => tmp.write(`lose-${x}.yaml`, lossOnCopy(topology, `lose-${LOST}-${x}`)))
  const watcher = gateWatcher(() => postgresOf('parbench-rpo'), {resolveEveryMs: 1000})
  const rows = []
  try {
    for (const parallel of [1, 3]) {
      const r = await firedrill(['run', ...drills, '--parallel', String(parallel), '--ci', '--json'])
      const runs = r.out.flatMap((o) => o.runs ?? [o]).map((run) => {
        const m = run.measurements ?? {}
        const independent = watcher.seqs(run.run_id)
        return {
          run_id: run.run_id,
          topology: run.topology,
          expected_lost: LOST,
          reported_lost: m.lost_writes ?? null,
          independent_lost: independent.length,
          seqs_match: JSON.stringify(m.lost_seqs) === JSON.stringify(independent),
          rpo_ms: m.rpo_ms ?? null,
          rto_ms: m.rto_ms ?? null,
          indeterminate_writes: m.indeterminate_writes ?? null,
        }
      })
      const row = {
        parallel,
        exit: r.status,
        wall_s: r.wall_s,
        runs: runs.length,
        topologies: [...new Set(runs.map((x) => x.topology))].sort(),
        exact: runs.length === 3 && runs.every((x) => x.reported_lost === LOST && x.independent_lost === LOST && x.seqs_match),
        reported_lost: runs.map((x) => x.reported_lost),
        independent_lost: runs.map((x) => x.independent_lost),
        rpo_ms: stats(runs.map((x) => x.rpo_ms)),
        rto_ms: stats(runs.map((x) => x.rto_ms)),
        run_rows: runs,
      }
      rows.push(row)
      console.log(`RPO, --parallel ${parallel}: ${row.runs} runs on ${row.topologies.join(', ')}; reported ${row.reported_lost.join(',')} lost, independent ${row.independent_lost.join(',')}, exact ${row.exact}; RPO median ${row.rpo_ms.median} ms; wall ${r.wall_s} s`)
      if (r.status !== 0 && r.status !== 1) console.log(r.stderr.slice(-3000))
    }
  } finally {
    await watcher.stop()
  }
  return rows
}

// --- 3. parallel_ratio ---------------------------------------------------------------------------
async function ratio() {
  const topology = tmp.write('parbench-ratio.yaml', embeddedAs('parbench-ratio'))
  const drills = path.join(ROOT, 'drills')
  const shipped = readdirSync(drills).filter((f) => f.endsWith('.yaml') && f !== 'policy.yaml').length
  const out = {}
  for (const parallel of [1, 3]) {
    const r = await firedrill(['run', drills, '--topology', topology, '--parallel', String(parallel), '--ci', '--json'])
    out[parallel] = {exit: r.status, wall_s: r.wall_s, drills: r.out.length, verdicts: Object.fromEntries(r.out.map((o) => [o.drill, o.verdict])), topologies: [...new Set(r.out.map((o) => o.topology))].sort()}
    console.log(`run drills/ --parallel ${parallel}: exit ${r.status}, ${r.out.length} of ${shipped} drills graded, wall ${r.wall_s} s (${out[parallel].topologies.join(', ')})`)
    if (r.status !== 0) console.log(r.stderr.slice(-3000))
  }
  return {shipped_drills: shipped, sequential: out[1], parallel_3: out[3], parallel_ratio: r2(out[3].wall_s / out[1].wall_s)}
}

const before = load()
const started = Date.now()
let result
try {
  // One part failing (reported with its error) does not lose the others' figures.
  const part = async (name, fn) => {
    try {
      return await fn()
    } catch (error) {
      console.error(`${name}: ${error.stack ?? error}`)
      return {error: String(error.message ?? error).slice(0, 4000)}
    }
  }
  const rto = skip('accuracy') ? null : await part('rto', rtoAccuracy)
  const rpo = skip('accuracy') ? null : await part('rpo', rpoExactness)
  const wall = skip('ratio') ? null : await part('ratio', ratio)
  result = {
    benchmark: 'parallel',
    command: `node bench/parallel.js ${process.argv.slice(2).join(' ')}`.trim(),
    machine: machine(),
    load_before: before,
    load_after: load(),
    wall_s: Math.round((Date.now() - started) / 1000),
    method: {
      rto: `3 drills freezing the postgres leader for ${OUTAGE_S} s (Patroni in maintenance mode), probe every ${INTERVAL_MS} ms, timeout 500 ms, --repeat ${REPS}; error = (t_fault + RTO) − heal step start, on the run's own timeline`,
      rpo: `3 drills losing exactly ${LOST} acknowledged writes (write gate, replication stopped, primary SIGKILLed); truth: the gate's own record read by a watcher on every node of the topology and its copies`,
      ratio: 'wall of `firedrill run drills/ --topology T --parallel 3 --ci --json` over `firedrill run drills/ --topology T --ci --json`; each brings its topologies up and removes them',
    },
    rto_error: rto,
    rpo_exactness: rpo,
    ...(wall ? {parallel_ratio: wall.parallel_ratio ?? null, ratio: wall} : {}),
  }
} finally {
  tmp.cleanup()
}
writeResults('parallel', result, opts.out)
