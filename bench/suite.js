#!/usr/bin/env node
// The shipped drill suite on this machine: total wall time of `firedrill run drills/ --ci --json`
// (bring-up and teardown included, as a nightly CI job pays them) and each drill's own duration.
//   node bench/suite.js [--quick] [--out FILE]     (--quick: kill-primary alone)
// Runs against a topology of its own (the embedded bank-3site as project fdbench-suite), so it never
// touches a bank-3site someone else has up.
import {cli, jsonLines, load, machine, parseArgs, ROOT, writeResults} from './lib/common.js'
import {embeddedAs, scratch} from './lib/topology.js'

const opts = parseArgs()
const tmp = scratch('fdbench-suite')
const env = {FIREDRILL_HOME: tmp.home}
const topology = tmp.write('topology.yaml', embeddedAs('fdbench-suite'))
const target = opts.quick ? `${ROOT}drills/kill-primary.yaml` : `${ROOT}drills/`

const before = load()
let result
try {
  const t0 = performance.now()
  const r = cli(['run', target, '--topology', topology, '--ci', '--json'], {env, timeout: 3_600_000})
  const wallS = (performance.now() - t0) / 1000
  const drills = jsonLines(r, 'run drills/').map((d) => ({
    drill: d.drill,
    verdict: d.verdict,
    duration_s: Math.round(d.duration_ms / 100) / 10,
    rto_ms: d.measurements?.rto_ms ?? null,
    lost_writes: d.measurements?.lost_writes ?? null,
  }))
  const inDrills = drills.reduce((a, d) => a + d.duration_s, 0)
  result = {
    benchmark: 'suite',
    command: `node bench/suite.js ${process.argv.slice(2).join(' ')}`.trim(),
    runs: `firedrill run ${opts.quick ? 'drills/kill-primary.yaml' : 'drills/'} --topology <fdbench-suite> --ci --json`,
    machine: machine(),
    load_before: before,
    load_after: load(),
    exit_code: r.status,
    suite_wall_s: Math.round(wallS * 10) / 10,
    in_drills_s: Math.round(inDrills * 10) / 10,
    overhead_s: Math.round((wallS - inDrills) * 10) / 10,
    drills,
  }
  for (const d of drills) console.log(`${d.drill.padEnd(24)} ${d.verdict.padEnd(5)} ${d.duration_s} s`)
  console.log(`suite wall ${result.suite_wall_s} s (drills ${result.in_drills_s} s; bring-up, teardown, evidence and start-up ${result.overhead_s} s); exit ${r.status}`)
} finally {
  cli(['down', '--project', 'fdbench-suite'], {env})
  tmp.cleanup()
}
writeResults('suite', result, opts.out)
