#!/usr/bin/env node
// npm run bench [-- --quick]: every benchmark in turn, each alone on the machine as far as this
// script is concerned, then one combined bench/results/<date>.json with the headline figures:
// rto_accuracy, rpo_accuracy, compose_ratio, startup_ratio, suite_wall_s (and runner_cost, scale, idle_cost,
// relay_added_ms, multi_engine). multi-engine starts three Docker engines: run the whole under the integration lock.
// --only a,b reruns those and updates the day's combined file, keeping the others' figures.
//   node bench/run-all.js [--quick] [--only startup,rto-accuracy,...]
import {spawnSync} from 'node:child_process'
import {existsSync, mkdtempSync, readFileSync, rmSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {load, machine, parseArgs, RESULTS_DIR, ROOT, writeResults} from './lib/common.js'

const opts = parseArgs()
const onlyAt = opts.rest.indexOf('--only')
const ALL = ['startup', 'rto-accuracy', 'rpo-accuracy', 'rpo-accuracy-mysql-redis', 'probe-accuracy', 'compose-vs-up', 'runner-cost', 'scale', 'idle-cost', 'relay-cost', 'multi-engine', 'suite']
const chosen = onlyAt >= 0 ? opts.rest[onlyAt + 1].split(',') : ALL
const dir = mkdtempSync(path.join(os.tmpdir(), 'fdbench-all-'))
const results = {}
const started = new Date()
const before = load()
try {
  for (const name of chosen) {
    const out = path.join(dir, `${name}.json`)
    const args = [path.join(ROOT, 'bench', `${name}.js`), ...(opts.quick ? ['--quick'] : []), '--out', out]
    console.log(`\n== ${name}: node ${path.relative(ROOT, args[0])} ${args.slice(1).join(' ')}`)
    const t0 = performance.now()
    const r = spawnSync(process.execPath, args, {cwd: ROOT, stdio: 'inherit'})
    const wall = Math.round((performance.now() - t0) / 100) / 10
    try {
      results[name] = {...JSON.parse(readFileSync(out, 'utf8')), bench_wall_s: wall, exit: r.status}
    } catch {
      results[name] = {error: `exited ${r.status} without results`, bench_wall_s: wall}
    }
  }
} finally {
  rmSync(dir, {recursive: true, force: true})
}
// With --only, the day's combined file keeps the other benchmarks' figures and takes the new ones.
const combinedFile = path.join(RESULTS_DIR, `${started.toISOString().slice(0, 10)}${opts.quick ? '-quick' : ''}.json`)
if (onlyAt >= 0 && existsSync(combinedFile)) {
  const earlier = JSON.parse(readFileSync(combinedFile, 'utf8')).benchmarks ?? {}
  for (const [name, body] of Object.entries(earlier)) if (!(name in results)) results[name] = body
}
const combined = {
  date: started.toISOString(),
  quick: opts.quick,
  command: `npm run bench${opts.quick || onlyAt >= 0 ? ' --' : ''}${opts.quick ? ' --quick' : ''}${onlyAt >= 0 ? ` --only ${chosen.join(',')}` : ''}`,
  machine: machine(),
  load_before: before,
  load_after: load(),
  rto_accuracy: results['rto-accuracy']?.rto_accuracy ?? null,
  rpo_accuracy: results['rpo-accuracy']?.rpo_accuracy ?? null,
  rpo_accuracy_mysql_redis: results['rpo-accuracy-mysql-redis']?.rpo_accuracy ?? null,
  compose_ratio: results['compose-vs-up']?.compose_ratio ?? null,
  startup_ratio: results.startup?.startup_ratio ?? null,
  suite_wall_s: results.suite?.suite_wall_s ?? null,
  runner_cost: results['runner-cost']?.runner_cost ?? null,
  scale: results.scale?.scale ?? null,
  idle_cost: results['idle-cost']?.idle_cost ?? null,
  relay_added_ms: results['relay-cost']?.added_ms ?? null,
  multi_engine: results['multi-engine'] ? {medians: results['multi-engine'].medians, ratios: results['multi-engine'].ratios} : null,
  benchmarks: results,
}
writeResults('', combined, undefined)
// A benchmark that failed fails the whole run (its error is in the combined file too).
const failed = chosen.filter((name) => results[name].error || results[name].exit !== 0)
if (failed.length > 0) {
  console.error(`failed: ${failed.join(', ')}`)
  process.exitCode = 1
}
