#!/usr/bin/env node
// The runner's own cost: CPU seconds (user + system) and peak resident memory of the firedrill
// process (GNU time) during a 60 s drill probing at 10 Hz and at 100 Hz. A 5 s drill run the same
// way gives the fixed cost (start-up, probe set-up, read-back, evidence), so the marginal cost of
// one second of probing is (cpu(60 s) - cpu(5 s)) / 55 s.
//   node bench/runner-cost.js [--quick] [--seconds 60] [--out FILE]    (--quick: a 20 s drill)
// The fault is a pause of the asynchronous replica (busan): the drill runs its whole length with the
// probe writing, nothing failing. Topology of its own (project fdbench-cost), left as found.
import {spawnSync} from 'node:child_process'
import {existsSync} from 'node:fs'

import {BIN, load, machine, parseArgs, ROOT, writeResults} from './lib/common.js'
import {embeddedAs, ensureUp, scratch} from './lib/topology.js'

const opts = parseArgs()
const at = opts.rest.indexOf('--seconds')
const seconds = at >= 0 ? Number(opts.rest[at + 1]) : opts.quick ? 20 : 60
const SHORT = 5
if (!existsSync('/usr/bin/time')) throw new Error('GNU time (/usr/bin/time) is needed: apt-get install -y time')
const tmp = scratch('fdbench-cost')
const env = {FIREDRILL_HOME: tmp.home}
const topology = tmp.write('topology.yaml', embeddedAs('fdbench-cost'))

const drill = (lengthS, intervalMs) => `name: runner-cost-${lengthS}s-${intervalMs}ms
topology: ${topology}
objectives: {rto: 30s, rpo: 0s}
probe: {kind: postgres-write, service: postgres, password: firedrill, interval: ${intervalMs}ms, timeout: 1s}
steps:
  - sleep: ${Math.max(1, lengthS - 5)}s
  - fault: pause
    name: replica
    target: {service: postgres, site: busan}
  - sleep: ${Math.min(5, lengthS - 1)}s
  - heal: [replica]
`

function measure(lengthS, intervalMs) {
  const file = tmp.write(`cost-${lengthS}-${intervalMs}.yaml`, drill(lengthS, intervalMs))
  const r = spawnSync('/usr/bin/time', ['-f', 'FDTIME %e %U %S %M', process.execPath, BIN, 'run', file, '--keep', '--json'], {
    cwd: ROOT,
    encoding: 'utf8',
    env: {...process.env, ...env},
    maxBuffer: 64 * 1024 * 1024,
  })
  const line = r.stderr.split('\n').find((l) => l.startsWith('FDTIME '))
  if (!line) throw new Error(`run ${file}: ${r.stderr.slice(-2000)}`)
  const [wall, user, sys, maxKb] = line.split(' ').slice(1).map(Number)
  const result = JSON.parse(r.stdout.trim().split('\n')[0])
  return {
    drill_s: lengthS,
    interval_ms: intervalMs,
    verdict: result.verdict,
    samples: result.probe.samples,
    acked: result.measurements.acked_writes,
    wall_s: wall,
    cpu_s: Math.round((user + sys) * 100) / 100,
    user_s: user,
    sys_s: sys,
    cpu_share: Math.round(((user + sys) / wall) * 1000) / 1000,
    peak_rss_mib: Math.round((maxKb / 1024) * 10) / 10,
  }
}

const before = load()
const {restore} = ensureUp(topology, env)
const rows = []
try {
  for (const intervalMs of [100, 10]) {
    const long = measure(seconds, intervalMs)
    const short = measure(SHORT, intervalMs)
    const marginal = Math.round(((long.cpu_s - short.cpu_s) / (seconds - SHORT)) * 1000) / 1000
    rows.push({hz: 1000 / intervalMs, long, short, cpu_s_per_probing_s: marginal})
    console.log(
      `${1000 / intervalMs} Hz: ${seconds} s drill: ${long.cpu_s} CPU s (${(long.cpu_share * 100).toFixed(1)}% of one core over ${long.wall_s} s), peak RSS ${long.peak_rss_mib} MiB, ${long.samples} samples; ${SHORT} s drill: ${short.cpu_s} CPU s, ${short.peak_rss_mib} MiB; marginal ${marginal} CPU s per second of probing`,
    )
  }
} finally {
  restore()
  tmp.cleanup()
}
writeResults(
  'runner-cost',
  {
    benchmark: 'runner-cost',
    command: `node bench/runner-cost.js ${process.argv.slice(2).join(' ')}`.trim(),
    machine: machine(),
    load_before: before,
    load_after: load(),
    runner_cost: rows,
  },
  opts.out,
)
