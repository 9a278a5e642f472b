#!/usr/bin/env node
// What the relay adds per sample: TCP connect round trips from the runner to a container, directly and
// through firedrill's relay (the real relayRequest and RelayRoute from dist/), on the local engine where
// both paths exist, interleaved so background load hits all alike.
//   node bench/relay-cost.js [--quick] [--trials N] [--reps R] [--out FILE]
// Each rep: N connects of each kind (default 200, --quick 50), the medians; R reps (default 5, --quick 2),
// and the median of the reps' medians. Three kinds:
//   direct   runner → container address (the port is closed: the container's kernel answers RST)
//   relay    runner → engine host's published port → relay (DNAT) → container (RST back the same way)
//   bare     runner → engine host's published port → relay's own refusing slot (no forward)
// added    = relay − direct: what the relay really adds (the bench can measure it: here both paths exist)
// estimate = relay − bare: what a run records as route.added_ms, where no direct path exists.
// The relay publishes on 0.0.0.0 as for a remote engine and is reached at its network's gateway, so
// Docker's kernel DNAT carries it as it would from another machine (127.0.0.1 goes through docker-proxy).
// Project fdbench-relay: a network, a target and the relay, all labelled, removed at the end.
import {execFileSync} from 'node:child_process'

import {DockerEngine} from '../dist/engine/docker.js'
import {LABEL} from '../dist/engine/labels.js'
import {relayRequest, routeOf, tryConnect, RelayRoute} from '../dist/topology/relay.js'
import {load, machine, parseArgs, stats, writeResults} from './lib/common.js'

const opts = parseArgs()
const arg = (name, dflt) => {
  const at = opts.rest.indexOf(name)
  return at >= 0 ? Number(opts.rest[at + 1]) : dflt
}
const trials = arg('--trials', opts.quick ? 50 : 200)
const reps = arg('--reps', opts.quick ? 2 : 5)
const project = 'fdbench-relay'
const net = `fd-${project}-wan`
const image = 'firedrill/net-helper:1'
const labels = {[LABEL.project]: project, [LABEL.role]: 'topology'}
const docker = (...args) => execFileSync('docker', args, {encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe']}).trim()

const engine = new DockerEngine()
const before = load()
const cleanup = () => {
  for (const c of docker('ps', '-aq', '--filter', `label=${LABEL.project}=${project}`).split('\n').filter(Boolean)) docker('rm', '-f', c)
  try {
    docker('network', 'rm', net)
  } catch {}
}
cleanup()
const reps_out = []
try {
  await engine.createNetwork({name: net, labels})
  const target = await engine.createContainer({
    name: `fd-${project}-target`, hostname: 'target', image, command: ['sleep', 'infinity'], env: {}, labels, ports: [], mounts: [],
    networks: [{name: net, aliases: ['target']}], stopTimeoutMs: 1000,
  })
  await engine.startContainer(target)
  const gateway = docker('network', 'inspect', '-f', '{{(index .IPAM.Config 0).Gateway}}', net)
  const endpoint = {describe: 'bench', publishedHost: gateway, remote: true}
  const topology = {project, networks: [{name: net}]}
  const relayId = await engine.createContainer(relayRequest(topology, image, endpoint, 'bench: both paths exist here'))
  await engine.startContainer(relayId)
  const containers = await engine.listContainers([`${LABEL.project}=${project}`])
  const address = containers.find((c) => c.id === target).addresses[net]
  const route = routeOf({exec: engine.exec.bind(engine), endpoint: () => endpoint}, containers)
  if (!(route instanceof RelayRoute)) throw new Error('no relay route')
  const via = await route.endpoint(address, 5432)
  const bare = route.bareEndpoint()
  const kinds = {direct: [address, 5432], relay: [via.host, via.port], bare: [bare.host, bare.port]}
  // Warm-up, not counted: the first connect through a new DNAT rule sets up conntrack and ARP.
  for (const [h, p] of Object.values(kinds)) await tryConnect(h, p, 1000)
  for (let r = 0; r < reps; r++) {
    const ms = {direct: [], relay: [], bare: []}
    for (let i = 0; i < trials; i++) {
      for (const [k, [h, p]] of Object.entries(kinds)) {
        const o = await tryConnect(h, p, 1000)
        if (o.kind === 'unreachable') throw new Error(`${k} ${h}:${p}: ${o.detail}`)
        ms[k].push(o.ms)
      }
    }
    const s = Object.fromEntries(Object.entries(ms).map(([k, v]) => [k, stats(v)]))
    reps_out.push({...s, added_ms: round(s.relay.median - s.direct.median), estimate_ms: round(s.relay.median - s.bare.median)})
    console.log(`rep ${r + 1}: direct ${s.direct.median} ms, relay ${s.relay.median} ms, bare ${s.bare.median} ms; added ${reps_out.at(-1).added_ms} ms, estimate ${reps_out.at(-1).estimate_ms} ms`)
  }
} finally {
  engine.close()
  cleanup()
}
function round(x) {
  return Math.round(x * 1000) / 1000
}
const med = (xs) => stats(xs).median
const result = {
  benchmark: 'relay-cost',
  command: `node bench/relay-cost.js${opts.quick ? ' --quick' : ''} --trials ${trials} --reps ${reps}`,
  machine: machine(),
  load_before: before,
  load_after: load(),
  trials,
  reps: reps_out,
  median_direct_ms: med(reps_out.map((r) => r.direct.median)),
  median_relay_ms: med(reps_out.map((r) => r.relay.median)),
  median_bare_ms: med(reps_out.map((r) => r.bare.median)),
  added_ms: med(reps_out.map((r) => r.added_ms)),
  estimate_ms: med(reps_out.map((r) => r.estimate_ms)),
}
console.log(`median of ${reps} reps: direct ${result.median_direct_ms} ms, through the relay ${result.median_relay_ms} ms, to the relay ${result.median_bare_ms} ms; the relay adds ${result.added_ms} ms (a run's estimate: ${result.estimate_ms} ms)`)
writeResults('relay-cost', result, opts.out)
