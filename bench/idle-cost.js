#!/usr/bin/env node
// Idle cost of each shipped topology: how much of the machine a topology keeps busy while nothing
// happens (Docker's health checks, Patroni's and etcd's loops), and how long `firedrill up` takes.
//
// For each topology (default: every fixtures/topologies/*/topology.yaml, under a project of its own):
//   - `firedrill up` then `firedrill down`, R times: wall time of `up` (median).
//   - brought up once more and left idle for --settle seconds, then W windows of S seconds; then taken
//     down and W windows of the same length without it (the machine's other load, the baseline):
//     busy cores from /proc/stat (user + nice + system + irq + softirq + steal over all CPUs), context
//     switches per second, and the CPU the topology's own containers used (their cgroups' cpuacct).
//     idle cost = busy with the topology - busy without it, the median over the windows (exposed to whatever
//     else the machine does meanwhile); own cost = its containers' CPU + the engine's (dockerd, containerd, the
//     shims and the runc processes they reap: the health checks' execs) with it - without it, less exposed.
//   node bench/idle-cost.js [--quick] [--topology FILE] [--label NAME] [--runs R] [--windows W] [--seconds S] [--settle S] [--out FILE]
import {execFileSync} from 'node:child_process'
import {existsSync, readdirSync, readFileSync} from 'node:fs'
import path from 'node:path'

import {cli, json, load, machine, parseArgs, ROOT, sleep, stats, writeResults} from './lib/common.js'
import {scratch} from './lib/topology.js'

const opts = parseArgs()
const flag = (name, fallback) => {
  const at = opts.rest.indexOf(`--${name}`)
  return at >= 0 ? opts.rest[at + 1] : fallback
}
const runs = Number(flag('runs', opts.quick ? 1 : 3))
const windows = Number(flag('windows', opts.quick ? 2 : 4))
const seconds = Number(flag('seconds', opts.quick ? 10 : 20))
const settle = Number(flag('settle', 15))
const only = flag('topology', undefined)
const label = flag('label', undefined)

const shipped = readdirSync(path.join(ROOT, 'fixtures', 'topologies'))
  .map((d) => path.join(ROOT, 'fixtures', 'topologies', d, 'topology.yaml'))
  .filter((f) => existsSync(f))
const topologies = only ? [path.resolve(only)] : shipped

/** Busy and total jiffies over all CPUs, and context switches, from /proc/stat. */
function cpuNow() {
  const text = readFileSync('/proc/stat', 'utf8')
  const f = text.split('\n')[0].trim().split(/\s+/).slice(1).map(Number)
  const [user, nice, system, idle, iowait, irq, softirq, steal] = f
  const ctxt = Number(/^ctxt (\d+)$/m.exec(text)[1])
  return {busy: user + nice + system + irq + softirq + (steal ?? 0), total: f.slice(0, 8).reduce((a, b) => a + b, 0), idle: idle + iowait, ctxt, at: performance.now()}
}

/** CPU nanoseconds the project's containers used so far (cgroup v1 cpuacct, or v2 cpu.stat). */
function containersCpuNs(ids) {
  let ns = 0
  for (const id of ids) {
    const v1 = `/sys/fs/cgroup/cpuacct/docker/${id}/cpuacct.usage`
    const v2 = `/sys/fs/cgroup/system.slice/docker-${id}.scope/cpu.stat`
    if (existsSync(v1)) ns += Number(readFileSync(v1, 'utf8'))
    else if (existsSync(v2)) ns += Number(/^usage_usec (\d+)$/m.exec(readFileSync(v2, 'utf8'))[1]) * 1000
  }
  return ns
}

const TICKS = 100 // USER_HZ on Linux
/** CPU seconds the container engine's own processes used so far (dockerd, containerd, the shims and the runc children they reaped). */
function engineCpuS() {
  let ticks = 0
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    let stat
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    } catch {
      continue
    }
    const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'))
    if (!/^(dockerd|containerd|containerd-shim.*|docker-proxy)$/.test(name)) continue
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    ticks += Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]) // utime stime cutime cstime
  }
  return ticks / TICKS
}

async function window(ids) {
  const a = cpuNow()
  const ca = containersCpuNs(ids)
  const ea = engineCpuS()
  await sleep(seconds * 1000)
  const b = cpuNow()
  const cb = containersCpuNs(ids)
  const eb = engineCpuS()
  const cpus = machine().cpus
  const elapsedS = (b.at - a.at) / 1000
  const share = (b.busy - a.busy) / (b.total - a.total)
  return {
    busy_cores: Math.round(share * cpus * 1000) / 1000,
    ctxt_per_s: Math.round((b.ctxt - a.ctxt) / elapsedS),
    containers_cores: ids.length ? Math.round(((cb - ca) / 1e9 / elapsedS) * 1000) / 1000 : 0,
    engine_cores: Math.round(((eb - ea) / elapsedS) * 1000) / 1000,
    loadavg1: Math.round(load().loadavg[0] * 100) / 100,
  }
}

const rows = []
for (const file of topologies) {
  const name = path.basename(path.dirname(file))
  const project = `fdbench-idle-${name}`.slice(0, 40)
  const tmp = scratch('fdbench-idle')
  const env = {FIREDRILL_HOME: tmp.home}
  const text = readFileSync(file, 'utf8')
    .replace(/^name: .*$/m, `name: ${project}`)
    .replaceAll(/context: \.\/(\S+)/g, (_, dir) => `context: ${path.join(path.dirname(file), dir)}`)
  const topology = tmp.write('topology.yaml', text)
  const upMs = []
  try {
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now()
      const up = cli(['up', '--topology', topology, '--json'], {env})
      const ms = performance.now() - t0
      const body = json(up, 'firedrill up')
      if (up.status !== 0) throw new Error(`firedrill up: ${JSON.stringify(body)}`)
      upMs.push(ms)
      console.log(`${name}: up ${(ms / 1000).toFixed(2)} s (healthy ${(body.healthy_after_start_ms / 1000).toFixed(2)} s after start)`)
      if (i < runs - 1) cli(['down', '--topology', topology, '--json'], {env})
    }
    const status = json(cli(['status', '--topology', topology, '--json'], {env}), 'status')
    const ids = status.instances.map((i) => i.container)
    const dockerIds = execFileSync('docker', ['inspect', '--format', '{{.Id}}', ...ids], {encoding: 'utf8'}).trim().split('\n')
    await sleep(settle * 1000)
    const withIt = []
    const without = []
    for (let w = 0; w < windows; w++) {
      withIt.push(await window(dockerIds))
      console.log(`${name}: with it    ${JSON.stringify(withIt.at(-1))}`)
    }
    cli(['down', '--topology', topology, '--json'], {env})
    await sleep(3000)
    for (let w = 0; w < windows; w++) {
      without.push(await window([]))
      console.log(`${name}: without it ${JSON.stringify(without.at(-1))}`)
    }
    const med = (xs, k) => stats(xs.map((x) => x[k])).median
    rows.push({
      topology: name,
      label: label ?? null,
      file: path.relative(ROOT, file).startsWith('..') ? file : path.relative(ROOT, file),
      containers: ids.length,
      up_s: stats(upMs.map((ms) => ms / 1000)),
      idle_cost_cores: Math.round((med(withIt, 'busy_cores') - med(without, 'busy_cores')) * 1000) / 1000,
      containers_cores: med(withIt, 'containers_cores'),
      // The topology's own cost, less exposed to the neighbours: its containers plus the engine's work for it.
      own_cores: Math.round((med(withIt, 'containers_cores') + med(withIt, 'engine_cores') - med(without, 'engine_cores')) * 1000) / 1000,
      engine_cores_with: med(withIt, 'engine_cores'),
      engine_cores_without: med(without, 'engine_cores'),
      busy_cores_with: stats(withIt.map((x) => x.busy_cores)),
      busy_cores_without: stats(without.map((x) => x.busy_cores)),
      ctxt_per_s_with: med(withIt, 'ctxt_per_s'),
      ctxt_per_s_without: med(without, 'ctxt_per_s'),
      windows: {with: withIt, without},
    })
    console.log(`${name}: idle cost ${rows.at(-1).idle_cost_cores} cores machine-wide, own ${rows.at(-1).own_cores} (containers ${rows.at(-1).containers_cores}, engine ${rows.at(-1).engine_cores_with} vs ${rows.at(-1).engine_cores_without}); up median ${rows.at(-1).up_s.median} s`)
  } finally {
    cli(['down', '--topology', topology, '--json'], {env})
    tmp.cleanup()
  }
}

writeResults('idle-cost', {date: new Date().toISOString(), machine: machine(), load_after: load(), seconds, windows, runs, settle_s: settle, idle_cost: rows}, opts.out)
