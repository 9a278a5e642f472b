#!/usr/bin/env node
// RPO accuracy against ground truth: a drill that loses exactly M acknowledged writes (M in 1, 10, 100).
// A write gate (a trigger on the probe's table) lets exactly M probe writes through on the primary
// after replication to the standby was stopped, and records each (run, seq, server time) in a table
// on that primary alone; the benchmark reads that table while the drill waits before killing the
// primary, independently of firedrill. firedrill must report exactly those M sequence numbers lost,
// and an RPO counted from the acknowledgement of the first of them. See bench/README.md, "RPO accuracy".
//   node bench/rpo-accuracy.js [--quick] [--reps N] [--lost 1,10,100] [--out FILE]
// Default 3 runs of each M (--quick: 1). A topology of its own (project fdbench-rpo: PostgreSQL on two
// sites, asynchronous replication), left as found.
import {execFileSync} from 'node:child_process'
import {cpSync, readFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'


import {BIN, load, machine, parseArgs, run, stats, writeResults} from './lib/common.js'
import {gateWatcher} from './lib/gate-watch.js'
import {lossDrill, lossTopology} from './lib/drills.js'
import {embeddedAs, ensureUp, leaderContainer, scratch} from './lib/topology.js'

const opts = parseArgs()
const flag = (name, dflt) => {
  const i = opts.rest.indexOf(name)
  return i >= 0 ? opts.rest[i + 1] : dflt
}
const reps = Number(flag('--reps', opts.quick ? 1 : 3))
const losses = flag('--lost', '1,10,100').split(',').map(Number)
const INTERVAL_MS = 20
const project = 'fdbench-rpo'

const tmp = scratch('fdbench-rpo')
const env = {FIREDRILL_HOME: tmp.home}
const topology = tmp.write('topology.yaml', lossTopology(embeddedAs(project)))

/** The timeline of a failed run, from the evidence it left (the scratch directory goes with the benchmark). */
function timelineOf(stderr) {
  const bundle = /evidence (\S+) \(/.exec(stderr)?.[1]
  if (!bundle) return ''
  try {
    const events = readFileSync(path.join(bundle, 'events.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l))
    const kept = path.join(os.tmpdir(), `fdbench-rpo-failed-${path.basename(bundle)}`)
    cpSync(bundle, kept, {recursive: true})
    return `\nthe run's evidence (logs of every container) is kept in ${kept}\ntimeline of ${bundle}:\n${events.map((e) => `  ${e.t_ms} ms ${e.kind}: ${e.detail}`).join('\n')}`
  } catch (error) {
    return `\n(no timeline in ${bundle}: ${error.message})`
  }
}

/** The WAN addresses of every PostgreSQL node of the project, for the gate watcher (bench/lib/gate-watch.js). */
function postgresNodes() {
  const ids = execFileSync('docker', ['ps', '-q', '--filter', `label=io.firedrill.project=${project}`, '--filter', 'label=io.firedrill.service=postgres'], {encoding: 'utf8'}).trim().split('\n').filter(Boolean)
  if (ids.length === 0) return []
  const out = execFileSync('docker', ['inspect', '--format', `{{(index .NetworkSettings.Networks "fd-${project}-wan").IPAddress}}`, ...ids], {encoding: 'utf8'})
  return out.trim().split('\n').filter(Boolean)
}

function samplesOf(dir) {
  const lines = readFileSync(path.join(dir, 'samples.csv'), 'utf8').trim().split('\n').slice(1)
  return new Map(lines.map((l) => l.split(',')).map(([seq, start, end, outcome]) => [Number(seq), {start: Number(start), end: Number(end), outcome}]))
}

function analyse(result, gated, expected) {
  const m = result.measurements
  const fault = result.timeline.find((e) => e.kind === 'fault')
  const samples = samplesOf(result.evidence.dir)
  const gatedSeqs = gated.map((g) => g.seq)
  const first = gatedSeqs.length > 0 ? samples.get(gatedSeqs[0]) : undefined
  const r2 = (x) => (x === null || x === undefined ? null : Math.round(x * 100) / 100)
  return {
    run_id: result.run_id,
    expected_lost: expected,
    reported_lost: m.lost_writes,
    independent_lost: gated.length,
    seqs_match: JSON.stringify(m.lost_seqs) === JSON.stringify(gatedSeqs),
    lost_seqs: m.lost_seqs,
    gated_seqs: gatedSeqs,
    indeterminate_writes: m.indeterminate_writes,
    indeterminate_present: m.indeterminate_present,
    rpo_ms: m.rpo_ms,
    // The acknowledgement time of the first of the M writes on firedrill's clock (its sample's end): RPO by definition.
    rpo_expected_ms: first ? r2(fault.t_ms - first.end) : null,
    // From the server's clock: the first gated row's commit-side time against the fault's wall time (same kernel clock).
    rpo_server_ms: gated.length > 0 ? r2(Date.parse(fault.at) - gated[0].at) : null,
    ack_latency_first_ms: first ? r2(first.end - first.start) : null,
    rto_ms: m.rto_ms,
  }
}

const before = load()
const started = Date.now()
const {up, restore} = ensureUp(topology, env)
const patronictl = (...args) => execFileSync('docker', ['exec', leaderContainer(topology, env), 'patronictl', ...args], {encoding: 'utf8'})
const watcher = gateWatcher(postgresNodes)
const runs = []
try {
  // Asynchronous replication: with a synchronous standby the primary could not acknowledge a write the standby lacks.
  patronictl('edit-config', '--force', '-s', 'synchronous_mode=false')
  for (const lost of losses) {
    for (let i = 0; i < reps; i++) {
      const file = tmp.write(`lose-${lost}.yaml`, lossDrill({topology, lost, intervalMs: INTERVAL_MS}))
      const r = await run(process.execPath, [BIN, 'run', file, '--keep', '--json'], {env: {...process.env, ...env}})
      let result
      try {
        result = JSON.parse(r.stdout.trim().split('\n')[0])
      } catch {
        throw new Error(`run ${file}: exit ${r.status}\n${r.stdout}\n${r.stderr.slice(-3000)}${timelineOf(r.stderr)}`)
      }
      if (!result.measurements) throw new Error(`run ${file}: ${JSON.stringify(result.error ?? result).slice(0, 2000)}`)
      const row = analyse(result, watcher.rows(result.run_id), lost)
      runs.push(row)
      console.log(
        `M ${lost}: reported ${row.reported_lost}, independent ${row.independent_lost}, seqs match ${row.seqs_match}; RPO ${row.rpo_ms} ms (ack of the first: ${row.rpo_expected_ms} ms; server clock: ${row.rpo_server_ms} ms)`,
      )
    }
  }
} finally {
  await watcher.stop()
  try {
    patronictl('edit-config', '--force', '-s', 'synchronous_mode=true')
  } catch {}
  restore()
  tmp.cleanup()
}
const rows = losses.map((lost) => {
  const mine = runs.filter((r) => r.expected_lost === lost)
  return {
    expected_lost: lost,
    reported_lost: mine.length === 1 ? mine[0].reported_lost : mine.map((r) => r.reported_lost),
    runs: mine.length,
    exact: mine.every((r) => r.reported_lost === lost && r.independent_lost === lost && r.seqs_match),
    rpo_ms: stats(mine.map((r) => r.rpo_ms)),
    rpo_minus_expected_ms: stats(mine.map((r) => r.rpo_ms - r.rpo_expected_ms)),
    rpo_minus_server_ms: stats(mine.map((r) => r.rpo_ms - r.rpo_server_ms)),
  }
})
const result = {
  benchmark: 'rpo-accuracy',
  command: `node bench/rpo-accuracy.js ${process.argv.slice(2).join(' ')}`.trim(),
  machine: machine(),
  load_before: before,
  load_after: load(),
  wall_s: Math.round((Date.now() - started) / 1000),
  method: {
    topology: 'bank-3site with PostgreSQL on seoul and gyeonggi only, Patroni synchronous_mode off',
    probe_interval_ms: INTERVAL_MS,
    loss: 'write gate (trigger) lets exactly M probe writes through on the primary after replication stopped (replicator NOLOGIN, walsenders terminated); SIGKILL the primary; Patroni promotes the standby',
    truth: 'the gate records each write it let through on the old primary; the benchmark reads that record before the kill',
  },
  topology_up_ms: up.duration_ms,
  rpo_accuracy: rows,
  runs,
}
writeResults('rpo-accuracy', result, opts.out)
