#!/usr/bin/env node
// Bring-up to healthy: `firedrill up` against `docker-compose up -d` on the file `firedrill export compose`
// writes, followed by a wait-for-healthy loop asking what firedrill's readiness asks (containers healthy,
// a Patroni leader, a streaming sync standby and replica; polled every 500 ms as firedrill polls).
// Teardown: `firedrill down` against `docker-compose down -v --timeout 0` (both kill; compose's default
// graceful `down -v` is timed once as well). Alternating order, same run, median of N (5; --quick 2).
//   node bench/compose-vs-up.js [--quick] [--runs N] [--out FILE]
import {spawnSync} from 'node:child_process'

import {cli, json, load, machine, parseArgs, sleep, stats, writeResults} from './lib/common.js'
import {projectContainers, readyLikeFiredrill} from './lib/docker-api.js'
import {embeddedAs, scratch} from './lib/topology.js'

const opts = parseArgs()
const runsAt = opts.rest.indexOf('--runs')
const runs = runsAt >= 0 ? Number(opts.rest[runsAt + 1]) : opts.quick ? 2 : 5
const project = 'fdbench-cmp'
const tmp = scratch('fdbench-cmp')
const env = {FIREDRILL_HOME: tmp.home}
const topology = tmp.write('topology.yaml', embeddedAs(project))
const composeFile = `${tmp.dir}/compose.yml`
const exported = cli(['export', 'compose', '--topology', topology, '--out', composeFile, '--json'], {env})
if (exported.status !== 0) throw new Error(`export compose: ${exported.stderr}`)
const composeVersion = spawnSync('docker-compose', ['version', '--short'], {encoding: 'utf8'}).stdout?.trim()
if (!composeVersion) throw new Error('docker-compose is not installed (apt-get install -y docker-compose)')
const compose = (...args) => {
  const r = spawnSync('docker-compose', ['-p', project, '-f', composeFile, ...args], {encoding: 'utf8'})
  if (r.status !== 0) throw new Error(`docker-compose ${args.join(' ')}: ${r.stderr}`)
  return r
}

async function waitReady(timeoutMs = 180_000) {
  const deadline = performance.now() + timeoutMs
  while (performance.now() < deadline) {
    if (await readyLikeFiredrill(project).catch(() => false)) return true
    await sleep(500)
  }
  throw new Error('compose topology not healthy in time')
}

async function firedrillRound() {
  const t0 = performance.now()
  const up = cli(['up', '--topology', topology, '--json'], {env})
  const upMs = performance.now() - t0
  const body = json(up, 'firedrill up')
  if (up.status !== 0 || !body.created) throw new Error(`firedrill up: ${JSON.stringify(body)}`)
  const t1 = performance.now()
  const down = cli(['down', '--topology', topology, '--json'], {env})
  if (down.status !== 0) throw new Error(`firedrill down: ${down.stderr}`)
  // created_ms: checks, networks and containers created, up to the start calls (healthy_after_start_ms counts from there)
  return {up_ms: upMs, up_internal_ms: body.duration_ms, created_ms: body.duration_ms - body.healthy_after_start_ms, down_ms: performance.now() - t1}
}

async function composeRound(graceful) {
  const t0 = performance.now()
  compose('up', '-d')
  const startedMs = performance.now() - t0
  await waitReady()
  const upMs = performance.now() - t0
  const t1 = performance.now()
  compose('down', '-v', ...(graceful ? [] : ['--timeout', '0']))
  const downMs = performance.now() - t1
  if ((await projectContainers(project)).length > 0) throw new Error('compose down left containers')
  return {up_ms: upMs, up_d_returned_ms: startedMs, down_ms: downMs, graceful}
}

if ((await projectContainers(project)).length > 0) throw new Error(`${project} is up; take it down first (firedrill down --project ${project})`)
const before = load()
const fd = []
const dc = []
let composeGracefulDownMs = null
try {
  for (let i = 0; i < runs; i++) {
    // Alternate which goes first, so a trend in background load hits both alike.
    const order = i % 2 === 0 ? ['firedrill', 'compose'] : ['compose', 'firedrill']
    for (const who of order) {
      if (who === 'firedrill') fd.push(await firedrillRound())
      else {
        const r = await composeRound(i === 0)
        if (r.graceful) composeGracefulDownMs = r.down_ms
        else dc.push(r)
        if (r.graceful) dc.push({...r, down_ms: null})
      }
      console.log(`round ${i + 1} ${who}: ${JSON.stringify(who === 'firedrill' ? fd.at(-1) : dc.at(-1))}`)
    }
  }
} finally {
  spawnSync('docker-compose', ['-p', project, '-f', composeFile, 'down', '-v', '--timeout', '0'], {stdio: 'ignore'})
  cli(['down', '--project', project], {env})
  tmp.cleanup()
}
const s = {
  firedrill_up_ms: stats(fd.map((r) => r.up_ms)),
  firedrill_up_internal_ms: stats(fd.map((r) => r.up_internal_ms)),
  firedrill_created_ms: stats(fd.map((r) => r.created_ms)),
  compose_up_ms: stats(dc.map((r) => r.up_ms)),
  compose_up_d_returned_ms: stats(dc.map((r) => r.up_d_returned_ms)),
  firedrill_down_ms: stats(fd.map((r) => r.down_ms)),
  compose_down_kill_ms: stats(dc.map((r) => r.down_ms)),
}
const result = {
  benchmark: 'compose-vs-up',
  command: `node bench/compose-vs-up.js ${process.argv.slice(2).join(' ')}`.trim(),
  machine: {...machine(), docker_compose: composeVersion},
  load_before: before,
  load_after: load(),
  runs,
  ms: s,
  compose_down_graceful_ms: composeGracefulDownMs,
  compose_ratio: Math.round((s.firedrill_up_ms.median / s.compose_up_ms.median) * 100) / 100,
  teardown_ratio: Math.round((s.firedrill_down_ms.median / s.compose_down_kill_ms.median) * 100) / 100,
  rounds: {firedrill: fd, compose: dc},
}
console.log(
  `up to healthy: firedrill median ${s.firedrill_up_ms.median} ms (${s.firedrill_up_ms.min}..${s.firedrill_up_ms.max}), compose ${s.compose_up_ms.median} ms (${s.compose_up_ms.min}..${s.compose_up_ms.max}); compose_ratio ${result.compose_ratio}`,
)
console.log(`teardown: firedrill ${s.firedrill_down_ms.median} ms, compose --timeout 0 ${s.compose_down_kill_ms.median} ms (graceful once: ${composeGracefulDownMs} ms)`)
writeResults('compose-vs-up', result, opts.out)
