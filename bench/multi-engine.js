#!/usr/bin/env node
// Sites on several engines against one engine: bank-3site on the host engine alone, and spread one site per
// engine over three lab engines (the multi-engine test's lab, test/support/engines.ts, imported as it is through
// bench/lib/ts-import.js; one swarm, overlays, the relay on the first engine).
//   flock /tmp/firedrill-integration.lock node bench/multi-engine.js [--quick] [--reps N] [--out FILE]
// Each way: a first `up` (recorded apart: on the lab engines it also copies firedrill's helper image onto every
// engine), then N reps (default 3, --quick 1) of: the shipped drills/kill-primary.yaml, unchanged, with
// `--topology` pointing at that way's topology (`run --keep`): its RTO, and what the relay adds per sample
// (result.route.added_ms); `down` (timed); `up` again (timed, images already there). Then down.
// Reported: the medians of each figure each way and the multi/single ratios.
// Projects meb-single and meb-multi, the lab meblab*: all removed at the end. It creates Docker resources:
// run it under the integration lock (above); it does not take the lock itself.
import path from 'node:path'

import {cli, json, load, machine, parseArgs, ROOT, stats, writeResults} from './lib/common.js'
import {importTs} from './lib/ts-import.js'
import {embeddedAs, scratch} from './lib/topology.js'

const opts = parseArgs()
const at = opts.rest.indexOf('--reps')
const REPS = at >= 0 ? Number(opts.rest[at + 1]) : opts.quick ? 1 : 3
if (!Number.isInteger(REPS) || REPS < 1) {
  console.error(`--reps: a whole number of at least 1, not ${opts.rest[at + 1]}`)
  process.exit(2)
}
const KILL_PRIMARY = path.join(ROOT, 'drills', 'kill-primary.yaml')
const tmp = scratch('mebench')
const env = {FIREDRILL_HOME: tmp.home}
const {spreadBank3site, startEngines} = await importTs('test/support/engines.ts')

/** One CLI call, timed; its JSON; throws with what it printed unless it exited with one of `ok`. */
function timedCli(args, what, ok = [0]) {
  const t = performance.now()
  const r = cli(args, {env})
  const ms = Math.round(performance.now() - t)
  if (!ok.includes(r.status)) throw new Error(`${what}: exit ${r.status}\n${r.stderr?.slice(-3000)}`)
  return {ms, status: r.status, body: json(r, what)}
}

/** `run --json` of one drill prints one result object. */
function killPrimary(topology, label) {
  const r = timedCli(['run', KILL_PRIMARY, '--topology', topology, '--keep', '--ci', '--json'], `${label}: kill-primary`, [0, 1])
  const d = r.body
  const m = d.measurements ?? {}
  return {
    exit: r.status,
    verdict: d.verdict,
    status: d.status,
    wall_ms: r.ms,
    rto_ms: m.rto_ms ?? null,
    resolution_ms: m.resolution_ms ?? null,
    lost_writes: m.lost_writes ?? null,
    route: d.route ?? null,
    added_ms: d.route?.added_ms ?? null,
  }
}

function way(label, topology) {
  const first = timedCli(['up', '--topology', topology, '--ci', '--json'], `${label}: first up`)
  console.log(`${label}: first up ${first.ms} ms`)
  const reps = []
  for (let i = 0; i < REPS; i++) {
    const kp = killPrimary(topology, label)
    const down = timedCli(['down', '--topology', topology, '--ci', '--json'], `${label}: down`)
    const up = timedCli(['up', '--topology', topology, '--ci', '--json'], `${label}: up`)
    reps.push({...kp, down_ms: down.ms, up_ms: up.ms})
    console.log(`${label} rep ${i + 1}: kill-primary ${kp.verdict} RTO ${kp.rto_ms} ms ± ${kp.resolution_ms} ms, lost ${kp.lost_writes}, relay adds ${kp.added_ms} ms; down ${down.ms} ms, up ${up.ms} ms`)
  }
  timedCli(['down', '--topology', topology, '--ci', '--json'], `${label}: last down`)
  return {
    first_up_ms: first.ms,
    route: first.body.route ?? null,
    up_ms: stats(reps.map((r) => r.up_ms)),
    down_ms: stats(reps.map((r) => r.down_ms)),
    rto_ms: stats(reps.map((r) => r.rto_ms)),
    added_ms: stats(reps.map((r) => r.added_ms)),
    lost_writes: reps.map((r) => r.lost_writes),
    verdicts: reps.map((r) => r.verdict),
    reps,
  }
}

const ratio = (a, b) => (typeof a === 'number' && typeof b === 'number' && b > 0 ? Math.round((a / b) * 100) / 100 : null)
const before = load()
const started = Date.now()
let single
let multi
let lab
let labStartMs
const singleTopology = tmp.write('meb-single.yaml', embeddedAs('meb-single'))
let multiTopology
try {
  single = way('single engine', singleTopology)
  const t = performance.now()
  lab = await startEngines({project: `meblab${Math.random().toString(36).slice(2, 6)}`, count: 3, images: ['firedrill/bank-node:15']})
  labStartMs = Math.round(performance.now() - t)
  console.log(`lab of three engines (one swarm, bank-node image loaded on each): ${labStartMs} ms`)
  multiTopology = tmp.write('meb-multi.yaml', spreadBank3site('meb-multi', lab.engines.map((e) => e.host)))
  multi = way('three engines', multiTopology)
} finally {
  // Left as found, whatever failed: both topologies down, the lab removed.
  cli(['down', '--topology', singleTopology, '--ci'], {env})
  if (multiTopology) cli(['down', '--topology', multiTopology, '--ci'], {env})
  await lab?.remove()
  tmp.cleanup()
}
const result = {
  benchmark: 'multi-engine',
  command: `flock /tmp/firedrill-integration.lock node bench/multi-engine.js${opts.quick ? ' --quick' : ''} --reps ${REPS}`,
  machine: machine(),
  load_before: before,
  load_after: load(),
  wall_s: Math.round((Date.now() - started) / 1000),
  method: `bank-3site on the host engine, then spread one site per engine over three lab engines (test/support/engines.ts); each way a first up, then ${REPS} reps of: run drills/kill-primary.yaml --topology T --keep, down, up; medians over the reps`,
  reps: REPS,
  lab_start_ms: labStartMs,
  single,
  multi,
  medians: {
    up_ms: {single: single.up_ms.median, multi: multi.up_ms.median},
    down_ms: {single: single.down_ms.median, multi: multi.down_ms.median},
    rto_ms: {single: single.rto_ms.median, multi: multi.rto_ms.median},
    relay_added_ms: multi.added_ms.median,
  },
  ratios: {
    up: ratio(multi.up_ms.median, single.up_ms.median),
    first_up: ratio(multi.first_up_ms, single.first_up_ms),
    down: ratio(multi.down_ms.median, single.down_ms.median),
    rto: ratio(multi.rto_ms.median, single.rto_ms.median),
  },
}
console.log(
  `medians of ${REPS}: up ${result.medians.up_ms.single} / ${result.medians.up_ms.multi} ms (x${result.ratios.up}), down ${result.medians.down_ms.single} / ${result.medians.down_ms.multi} ms (x${result.ratios.down}), kill-primary RTO ${result.medians.rto_ms.single} / ${result.medians.rto_ms.multi} ms (x${result.ratios.rto}); the relay adds ${result.medians.relay_added_ms} ms per sample`,
)
writeResults('multi-engine', result, opts.out)
