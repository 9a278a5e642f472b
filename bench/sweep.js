#!/usr/bin/env node
// firedrill sweep of the shipped topologies, as a nightly job would run it: wall time (bring-up and
// teardown included) and each cell's time, the matrix and the single points of failure named.
//   node bench/sweep.js [--quick] [--out FILE] [--only messenger-3dc,messenger-3dc-redundant,bank-3site]
//   (--quick: messenger-3dc flawed alone)
// Each topology runs under a project of the benchmark's own (fdbench-sweep-*, gateway port free), so it
// never touches a topology someone else has up, and is taken down again afterwards.
import {copyFileSync, existsSync, readFileSync} from 'node:fs'
import path from 'node:path'

import {cli, load, machine, parseArgs, RESULTS_DIR, ROOT, writeResults} from './lib/common.js'
import {scratch} from './lib/topology.js'

const opts = parseArgs()
const onlyAt = opts.rest.indexOf('--only')
const only = onlyAt >= 0 ? (opts.rest[onlyAt + 1] ?? '').split(',').filter(Boolean) : []
const TOPOLOGIES = [
  {name: 'messenger-3dc', file: 'fixtures/topologies/messenger-3dc/topology.yaml', port: [18480, 18492]},
  {name: 'messenger-3dc-redundant', file: 'fixtures/topologies/messenger-3dc/topology-redundant.yaml', port: [18481, 18493]},
  {name: 'bank-3site', file: 'fixtures/topologies/bank-3site/topology.yaml'},
].filter((t) => (only.length > 0 ? only.includes(t.name) : opts.quick ? t.name === 'messenger-3dc' : true))
if (TOPOLOGIES.length === 0) throw new Error(`--only ${only.join(',')}: no such topology (messenger-3dc, messenger-3dc-redundant, bank-3site)`)

const tmp = scratch('fdbench-sweep')
const env = {FIREDRILL_HOME: tmp.home}
const before = load()
const sweeps = []
try {
  for (const t of TOPOLOGIES) {
    const project = `fdbench-sweep-${t.name.replace('messenger-3dc', 'm3dc').replace('bank-3site', 'bank')}`
    const file = path.join(ROOT, t.file)
    let text = readFileSync(file, 'utf8')
      .replace(/^name: .*$/m, `name: ${project}`)
      .replaceAll('context: ./image', `context: ${path.join(path.dirname(file), 'image')}`)
    if (t.port) text = text.replace(`host: ${t.port[0]}}`, `host: ${t.port[1]}}`)
    const topology = tmp.write(`${project}.yaml`, text)
    const t0 = performance.now()
    const r = cli(['sweep', '--topology', topology, '--ci', '--json', '--reporter', 'json,table,html,junit,markdown'], {env, timeout: 1_800_000})
    const wallS = Math.round((performance.now() - t0) / 100) / 10
    cli(['down', '--project', project], {env})
    let out
    try {
      out = JSON.parse(String(r.stdout))
    } catch {
      throw new Error(`sweep of ${t.name} printed no JSON (exit ${r.status}): ${String(r.stderr).slice(-2000)}`)
    }
    const entry = {
      topology: t.name,
      exit_code: r.status,
      wall_s: wallS,
      in_cells_s: Math.round(out.rows.reduce((a, row) => a + row.duration_ms, 0) / 100) / 10,
      verdict: out.verdict,
      spofs: out.spofs.map((s) => s.sentence),
      notes: out.notes.map((n) => n.sentence),
      cells: out.rows.map((row) => ({
        fault: `${row.fault.kind} ${row.fault.site}`,
        took_s: Math.round(row.duration_ms / 100) / 10,
        probes: Object.fromEntries(row.cells.map((c) => [c.probe, {state: c.state, rto_ms: c.rto_ms, lost_writes: c.lost_writes}])),
      })),
      bundle: out.evidence?.dir ?? null,
      // The matrix as the sweep prints it (stderr, since stdout carries the JSON).
      table: /Sweep sweep-[\s\S]*?(?=\nEvidence: )/.exec(String(r.stderr))?.[0] ?? null,
    }
    // The reports outlive the scratch directory: bench/results/sweep-<topology>-<date>.{html,md}.
    const day = new Date().toISOString().slice(0, 10)
    for (const [from, ext] of [['report.html', 'html'], ['report.md', 'md']]) {
      const src = entry.bundle && path.join(entry.bundle, 'reports', from)
      if (src && existsSync(src)) copyFileSync(src, path.join(RESULTS_DIR, `sweep-${t.name}-${day}.${ext}`))
    }
    sweeps.push(entry)
    if (entry.table) console.log(entry.table)
    console.log(`${t.name}: wall ${entry.wall_s} s (cells ${entry.in_cells_s} s), exit ${entry.exit_code}, ${entry.spofs.length} SPOF`)
    for (const c of entry.cells) console.log(`  ${c.fault.padEnd(22)} ${String(c.took_s).padStart(6)} s  ${Object.entries(c.probes).map(([p, v]) => `${p}: ${v.state}${v.rto_ms ? ` ${(v.rto_ms / 1000).toFixed(2)} s` : ''}${v.lost_writes ? `, ${v.lost_writes} lost` : ''}`).join('; ')}`)
    for (const s of entry.spofs) console.log(`  SPOF: ${s}`)
    for (const n of entry.notes) console.log(`  note: ${n}`)
  }
} finally {
  tmp.cleanup()
}
writeResults('sweep', {benchmark: 'sweep', command: `node bench/sweep.js ${process.argv.slice(2).join(' ')}`.trim(), machine: machine(), load_before: before, load_after: load(), sweeps}, opts.out)
