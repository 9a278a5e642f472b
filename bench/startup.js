#!/usr/bin/env node
// CLI start-up: `firedrill --version` and `firedrill --help` against bare `node -e 0`, interleaved
// so that background load hits all three alike.
//   node bench/startup.js [--quick] [--runs N] [--out FILE]
// Medians over N runs each (default 30, --quick 8); the ratio is median(firedrill) / median(node -e 0).
import {spawnSync} from 'node:child_process'

import {BIN, load, machine, parseArgs, stats, writeResults} from './lib/common.js'

const opts = parseArgs()
const runsAt = opts.rest.indexOf('--runs')
const runs = runsAt >= 0 ? Number(opts.rest[runsAt + 1]) : opts.quick ? 8 : 30
const cases = {
  'node -e 0': [process.execPath, ['-e', '0']],
  'firedrill --version': [process.execPath, [BIN, '--version']],
  'firedrill --help': [process.execPath, [BIN, '--help']],
}
const before = load()
const times = Object.fromEntries(Object.keys(cases).map((k) => [k, []]))
// One warm-up each (page cache, Node's compile cache), not counted.
for (const [cmd, args] of Object.values(cases)) spawnSync(cmd, args, {stdio: 'ignore'})
for (let i = 0; i < runs; i++) {
  for (const [name, [cmd, args]] of Object.entries(cases)) {
    const t = performance.now()
    const r = spawnSync(cmd, args, {stdio: ['ignore', 'pipe', 'pipe']})
    const ms = performance.now() - t
    if (r.status !== 0) throw new Error(`${name} exited ${r.status}: ${r.stderr}`)
    times[name].push(ms)
  }
}
const after = load()
const s = Object.fromEntries(Object.entries(times).map(([k, v]) => [k, stats(v)]))
const base = s['node -e 0'].median
const ratio = (k) => Math.round((s[k].median / base) * 100) / 100
const result = {
  benchmark: 'startup',
  command: `node bench/startup.js${opts.quick ? ' --quick' : ''} --runs ${runs}`,
  machine: machine(),
  load_before: before,
  load_after: after,
  runs,
  ms: s,
  version_ratio: ratio('firedrill --version'),
  help_ratio: ratio('firedrill --help'),
  startup_ratio: Math.max(ratio('firedrill --version'), ratio('firedrill --help')),
}
for (const [k, v] of Object.entries(s)) console.log(`${k.padEnd(22)} median ${v.median} ms (p10 ${v.p10}, p90 ${v.p90}, n ${v.n})`)
console.log(`ratio: --version ${result.version_ratio}x, --help ${result.help_ratio}x of node -e 0 (startup_ratio = the larger: ${result.startup_ratio})`)
writeResults('startup', result, opts.out)
