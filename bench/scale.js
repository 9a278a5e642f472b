#!/usr/bin/env node
// Scale: a synthetic topology of N sites x M small services (each a `sleep infinity` container of the
// local base image with a trivial health check), up to healthy and down, for N = 3, 10, 20, 30 (M = 2).
//   node bench/scale.js [--quick] [--sites 3,10,30] [--services M] [--reps R] [--out FILE]
// Every site is one network plus the WAN: N + 1 networks. Docker's default address pools hold about
// 30 bridge networks in all, shared with everyone on the engine, so the synthetic topology gives its
// networks subnets of their own (topology `subnet:`): /24s of a 10.X.0.0/16 that no network on the
// engine uses, checked before each size (site i: 10.X.i.0/24; WAN: 10.X.240.0/20). A size that still
// does not fit is recorded with the engine's answer rather than aborting the benchmark.
import {dockerGet} from './lib/docker-api.js'
import {cli, json, load, machine, parseArgs, stats, writeResults} from './lib/common.js'
import {scratch} from './lib/topology.js'
import {overlaps, parseCidr} from '../dist/util/cidr.js'

const opts = parseArgs()
const flag = (name, dflt) => {
  const i = opts.rest.indexOf(name)
  return i >= 0 ? opts.rest[i + 1] : dflt
}
const sizes = flag('--sites', opts.quick ? '3,10' : '3,10,20,30').split(',').map(Number)
const services = Number(flag('--services', 2))
const reps = Number(flag('--reps', opts.quick ? 1 : 3))
const IMAGE = process.env.FIREDRILL_BENCH_IMAGE ?? 'firedrill/debian-base:bookworm'
const tmp = scratch('fdbench-scale')
const env = {FIREDRILL_HOME: tmp.home}

/** The first 10.X.0.0/16 (X from 213 up) that overlaps no network on the engine now. */
async function freeRange() {
  const taken = (await dockerGet('/networks')).flatMap((n) => (n.IPAM?.Config ?? []).map((c) => parseCidr(c.Subnet ?? '')).filter(Boolean))
  for (let x = 213; x < 255; x++) {
    const range = parseCidr(`10.${x}.0.0/16`)
    if (!taken.some((t) => overlaps(t, range))) return x
  }
  throw new Error('no 10.X.0.0/16 (X = 213..254) is free of networks on this engine')
}

function topology(n, m, x) {
  if (n > 239) throw new Error(`at most 239 sites fit the subnet plan (10.X.1-239.0/24), not ${n}`)
  const project = `fdbench-scale-${n}`
  const sites = Array.from({length: n}, (_, i) => `s${String(i + 1).padStart(2, '0')}`)
  const lines = [`name: ${project}`, `description: synthetic ${n} sites x ${m} services`, 'sites:']
  sites.forEach((s, i) => lines.push(`  ${s}: {role: ${i === 0 ? 'primary' : 'replica'}, subnet: 10.${x}.${i + 1}.0/24}`))
  lines.push(`wan: {subnet: 10.${x}.240.0/20}`, 'services:')
  for (let j = 1; j <= m; j++) {
    lines.push(`  svc${j}:`, `    sites: [${sites.join(', ')}]`, `    image: ${IMAGE}`, '    command: [sleep, infinity]')
    lines.push('    health: {test: ["true"], interval: 1s, timeout: 2s, retries: 30}', '    stop_timeout: 0s')
  }
  lines.push('up_timeout: 300s')
  return {project, range: `10.${x}.0.0/16`, file: tmp.write(`${project}.yaml`, `${lines.join('\n')}\n`)}
}

const before = load()
const rows = []
try {
  for (const n of sizes) {
    const {project, range, file} = topology(n, services, await freeRange())
    const ups = []
    const downs = []
    let error = null
    for (let r = 0; r < reps && !error; r++) {
      const t0 = performance.now()
      const up = cli(['up', '--topology', file, '--json'], {env})
      const upMs = performance.now() - t0
      const body = json(up, `up ${project}`)
      if (up.status !== 0) {
        error = body.error?.message ?? `exit ${up.status}`
        cli(['down', '--project', project], {env})
        break
      }
      ups.push(upMs)
      const t1 = performance.now()
      const down = cli(['down', '--project', project, '--json'], {env})
      if (down.status !== 0) throw new Error(`down ${project}: ${down.stderr}`)
      downs.push(performance.now() - t1)
    }
    const row = {sites: n, services_per_site: services, containers: n * services, networks: n + 1, subnets: range, runs: ups.length, up_ms: stats(ups), down_ms: stats(downs), error}
    rows.push(row)
    console.log(`N ${n} (${row.containers} containers, ${row.networks} networks in ${range}): up median ${row.up_ms.median} ms, down median ${row.down_ms.median} ms${error ? `; ${error}` : ''}`)
  }
} finally {
  for (const n of sizes) cli(['down', '--project', `fdbench-scale-${n}`], {env})
  tmp.cleanup()
}
const ok = rows.filter((r) => r.up_ms.median !== null)
const perContainer = ok.map((r) => ({sites: r.sites, up_ms_per_container: Math.round((r.up_ms.median / r.containers) * 10) / 10, down_ms_per_container: Math.round((r.down_ms.median / r.containers) * 10) / 10}))
const result = {
  benchmark: 'scale',
  command: `node bench/scale.js ${process.argv.slice(2).join(' ')}`.trim(),
  machine: machine(),
  load_before: before,
  load_after: load(),
  image: IMAGE,
  scale: rows,
  per_container: perContainer,
}
writeResults('scale', result, opts.out)
