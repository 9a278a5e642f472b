#!/usr/bin/env node
// RTO of the shipped kill-primary drill over N runs against one topology kept up between runs.
//   node bench/kill-primary-rto.js [N=5]
// Prints every run and the median, min and max; writes bench/results/kill-primary-rto-<date>.json.
// Needs the setup done (scripts/setup.sh). The topology is left as it was found.
import {execFileSync, spawnSync} from 'node:child_process'
import {mkdirSync, writeFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const runs = Number(process.argv[2] ?? 5)
const cli = (args) => spawnSync('node', ['bin/run.js', ...args], {cwd: root, encoding: 'utf8'})

const wasUp = JSON.parse(cli(['status', '--json']).stdout).instances.some((i) => i.state !== 'absent')
const up = JSON.parse(cli(['up', '--json']).stdout)
const results = []
try {
  for (let i = 1; i <= runs; i++) {
    const r = cli(['run', 'drills/kill-primary.yaml', '--json'])
    const d = JSON.parse(r.stdout)
    const m = d.measurements
    results.push({run: i, exit: r.status, verdict: d.verdict, rto_ms: m.rto_ms, impact_ms: m.impact_ms, lost: m.lost_writes, indeterminate: m.indeterminate_writes, acked: m.acked_writes})
    console.log(`run ${i}: ${d.verdict} RTO ${m.rto_ms} ms, impact ${m.impact_ms} ms, ${m.acked_writes} acked, ${m.lost_writes} lost, ${m.indeterminate_writes} indeterminate`)
  }
} finally {
  if (!wasUp) cli(['down'])
}
const rto = results.map((r) => r.rto_ms).filter((x) => x !== null).sort((a, b) => a - b)
const median = rto.length % 2 ? rto[(rto.length - 1) / 2] : (rto[rto.length / 2 - 1] + rto[rto.length / 2]) / 2
const summary = {
  date: new Date().toISOString(),
  engine: execFileSync('docker', ['version', '--format', '{{.Server.Version}}'], {encoding: 'utf8'}).trim(),
  up_ms: up.duration_ms,
  runs: results,
  rto_ms: {median, min: rto[0], max: rto.at(-1), n: rto.length},
}
console.log(`RTO median ${median} ms (min ${rto[0]}, max ${rto.at(-1)}, n=${rto.length}); all lost_writes = ${results.map((r) => r.lost).join(',')}`)
mkdirSync(`${root}/bench/results`, {recursive: true})
writeFileSync(`${root}/bench/results/kill-primary-rto-${summary.date.slice(0, 10)}.json`, `${JSON.stringify(summary, null, 2)}\n`)
