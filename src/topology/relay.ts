import net from 'node:net'

import type {ContainerCreateRequest, ContainerExec, ContainerSummary, Containers, EnginePing} from '../engine/engine.js'
import {engineEndpoint, type EngineEndpoint} from '../engine/endpoint.js'
import {LABEL, RELAY_ROLE} from '../engine/labels.js'
import {EngineUnavailableError, EnvironmentError, errorMessage} from '../errors.js'
import type {Endpoint, Reach, RouteVia} from '../model/reach.js'
import {networkName, type Topology} from '../model/topology.js'

/**
 * The one place that answers "how does the runner reach container C's port P": directly when the
 * runner can route to the container's address, else through the topology's relay.
 *
 * The relay is a container of the net-helper image (iptables) on every network of the topology, with
 * RELAY_SLOTS container ports published on the engine's host. Each forward is one slot: an iptables
 * DNAT rule in the relay's own network namespace sending the slot's port to one container address and
 * port (MASQUERADE on the way out, so the answer comes back through it). The kernel forwards packets, no
 * process copies bytes, so a refused or unreachable target stays refused or unreachable for the probe
 * (a userland forwarder such as socat accepts first and closes after: a failed sample would read as
 * indeterminate). The rules are the table: another firedrill process (status after up, run after up)
 * reads them back from the relay. Forwards are made on first use, least recently used slot reused when
 * all are taken.
 */
export interface Route {
  readonly via: RouteVia
  /** Where the runner connects to reach `port` of the container at `address` (an address on one of the topology's networks). */
  endpoint(address: string, port: number): Promise<Endpoint>
}

/** A Reach for one address, through a route. */
export function reachThrough(route: Route, address: string): Reach {
  return (port) => route.endpoint(address, port)
}

/** No way to reach the containers: every endpoint asked for fails with why, and nothing is dialled. */
export function noRoute(why: string): Route {
  return {
    via: {kind: 'none', why},
    endpoint: async () => {
      throw new EngineUnavailableError(`the runner cannot reach the topology's containers: ${why}`, ['firedrill up (it adds the relay and checks it)'])
    },
  }
}

export const directRoute: Route = {
  via: {kind: 'direct'},
  endpoint: async (address, port) => ({host: address, port}),
}

/**
 * Container ports of the relay, each one forward: 31 slots hold every (address, port) a drill of the
 * shipped topologies uses at both vantages. The last is never forwarded: the relay refuses it itself,
 * which times the path as far as the relay (what the relay adds is the rest).
 */
export const RELAY_FIRST_SLOT = 47000
export const RELAY_SLOTS = 32
export const RELAY_BARE_SLOT = RELAY_FIRST_SLOT + RELAY_SLOTS - 1

export function relayName(project: string): string {
  return `fd-${project}-relay`
}

/** Why a relay stands between the runner and the containers, in the words status and evidence show. */
export function remoteWhy(endpoint: EngineEndpoint): string {
  return `the engine at ${endpoint.describe} runs on another host: its containers' addresses are not routable from here`
}

/** The relay's container: every network of the topology, the slots published on the engine's host (loopback for a local engine). */
export function relayRequest(topology: Topology, image: string, endpoint: EngineEndpoint, why: string): ContainerCreateRequest {
  const slots = Array.from({length: RELAY_SLOTS}, (_, i) => RELAY_FIRST_SLOT + i)
  return {
    name: relayName(topology.project),
    hostname: 'relay',
    image,
    // One MASQUERADE for every forward; the DNAT rules come with use. Exits (and says why) if iptables cannot work here.
    command: ['sh', '-c', 'iptables -w -t nat -A POSTROUTING -p tcp -j MASQUERADE && exec sleep infinity'],
    env: {},
    labels: {[LABEL.project]: topology.project, [LABEL.role]: RELAY_ROLE, [LABEL.relayWhy]: why.slice(0, 300)},
    ports: slots.map((container) => ({container, host: 0, hostIp: endpoint.remote ? '0.0.0.0' : '127.0.0.1', protocol: 'tcp' as const})),
    mounts: [],
    networks: topology.networks.map((n) => ({name: n.name, aliases: []})),
    capDrop: ['ALL'],
    capAdd: ['NET_ADMIN', 'NET_RAW'],
    sysctls: {'net.ipv4.ip_forward': '1'},
    stopTimeoutMs: 1000,
  }
}

/** One forward as the relay's rules hold it. */
export interface Forward {
  slot: number
  address: string
  port: number
}

/** The DNAT rules of the relay's PREROUTING chain (`iptables -t nat -S PREROUTING`), as forwards. */
export function parseForwards(rules: string): Forward[] {
  const out: Forward[] = []
  for (const line of rules.split('\n')) {
    const m = /^-A PREROUTING .*--dport (\d+) .*-j DNAT --to-destination (\d+\.\d+\.\d+\.\d+):(\d+)/.exec(line.trim())
    if (m) out.push({slot: Number(m[1]), address: m[2]!, port: Number(m[3])})
  }
  return out
}

/** The argv that points a slot at address:port, replacing what the slot held. Address and port are checked: they reach a shell. */
export function forwardArgv(slot: number, address: string, port: number): string[] {
  if (!/^\d+\.\d+\.\d+\.\d+$/.test(address)) throw new Error(`relay: "${address}" is not an IPv4 address`)
  if (!Number.isInteger(port) || port < 1 || port > 65_535) throw new Error(`relay: ${port} is not a TCP port`)
  if (!Number.isInteger(slot)) throw new Error(`relay: ${slot} is not a slot`)
  const rule = `-p tcp -m tcp --dport ${slot} -j DNAT --to-destination ${address}:${port}`
  return [
    'sh',
    '-c',
    // Remove what the slot held (the listing's -A lines turned into -D), then add the new rule.
    `set -e; iptables -w -t nat -S PREROUTING | grep -e '--dport ${slot} ' | sed 's/^-A /-D /' | while read -r r; do iptables -w -t nat $r; done; iptables -w -t nat -A PREROUTING ${rule}`,
  ]
}

/** The forward table of one relay, kept in order of use (least recent first). Pure: the relay's rules are applied by RelayRoute. */
export class ForwardTable {
  private readonly byTarget = new Map<string, number>()

  constructor(
    private readonly slots: readonly number[],
    existing: readonly Forward[] = [],
  ) {
    for (const f of existing) if (slots.includes(f.slot)) this.byTarget.set(key(f.address, f.port), f.slot)
  }

  /** The slot already forwarding to address:port (now the most recently used), if any. */
  find(address: string, port: number): number | undefined {
    const k = key(address, port)
    const slot = this.byTarget.get(k)
    if (slot === undefined) return undefined
    this.byTarget.delete(k)
    this.byTarget.set(k, slot)
    return slot
  }

  /** The slot to point at address:port: a free one, else the least recently used (its old target is forgotten). */
  assign(address: string, port: number): number {
    const used = new Set(this.byTarget.values())
    let slot = this.slots.find((s) => !used.has(s))
    if (slot === undefined) {
      const [oldest, s] = this.byTarget.entries().next().value as [string, number]
      this.byTarget.delete(oldest)
      slot = s
    }
    this.byTarget.set(key(address, port), slot)
    return slot
  }

  forget(address: string, port: number): void {
    this.byTarget.delete(key(address, port))
  }
}

function key(address: string, port: number): string {
  return `${address}:${port}`
}

/** The route through one relay container. */
export class RelayRoute implements Route {
  readonly via: RouteVia
  private table?: Promise<ForwardTable>
  private queue: Promise<unknown> = Promise.resolve()
  private readonly hostPort: Map<number, number>

  constructor(
    private readonly engine: Pick<ContainerExec, 'exec'>,
    private readonly relay: ContainerSummary,
    private readonly host: string,
  ) {
    this.via = {kind: 'relay', container: relay.name, host, why: relay.labels[LABEL.relayWhy] ?? ''}
    this.hostPort = new Map((relay.published ?? []).map((p) => [p.container, p.host]))
  }

  async endpoint(address: string, port: number): Promise<Endpoint> {
    // One change of the relay's rules at a time (probes and role readers ask at once).
    const next = this.queue.then(() => this.slotFor(address, port))
    this.queue = next.catch(() => undefined)
    const slot = await next
    const published = this.hostPort.get(slot)
    if (published === undefined) throw new EnvironmentError(`the relay ${this.relay.name} does not publish its port ${slot} on the engine's host`, [relayRemedy(this.relay.name)])
    return {host: this.host, port: published}
  }

  /** The relay's own refusing port (no forward), for timing the path as far as the relay. */
  bareEndpoint(): Endpoint | undefined {
    const port = this.hostPort.get(RELAY_BARE_SLOT)
    return port === undefined ? undefined : {host: this.host, port}
  }

  private async slotFor(address: string, port: number): Promise<number> {
    this.table ??= this.readTable()
    const table = await this.table
    const found = table.find(address, port)
    if (found !== undefined) return found
    const slot = table.assign(address, port)
    const r = await this.engine.exec(this.relay.id, forwardArgv(slot, address, port), {timeoutMs: 10_000})
    if (r.exitCode !== 0) {
      table.forget(address, port)
      throw new EnvironmentError(`the relay ${this.relay.name} could not forward to ${address}:${port}: ${(r.stderr || r.stdout).trim().split('\n').at(-1) ?? `exit ${r.exitCode}`}`, [relayRemedy(this.relay.name)])
    }
    return slot
  }

  private async readTable(): Promise<ForwardTable> {
    const r = await this.engine.exec(this.relay.id, ['iptables', '-w', '-t', 'nat', '-S', 'PREROUTING'], {timeoutMs: 10_000})
    if (r.exitCode !== 0) throw new EnvironmentError(`the relay ${this.relay.name} cannot list its forwards: ${r.stderr.trim()}`, [relayRemedy(this.relay.name)])
    const slots = [...this.hostPort.keys()].filter((s) => s !== RELAY_BARE_SLOT).sort((a, b) => a - b)
    return new ForwardTable(slots, parseForwards(r.stdout))
  }
}

function relayRemedy(name: string): string {
  return `firedrill down and up again recreates the relay (docker logs ${name} says why it stopped, if it did)`
}

const routes = new WeakMap<object, Map<string, RelayRoute>>()

/** The topology's route, from its containers: through its relay when it has one (the same RelayRoute per relay container), else direct. */
export function routeOf(engine: Partial<ContainerExec> & Partial<Pick<EnginePing, 'endpoint'>>, containers: readonly ContainerSummary[], opts: {overlay?: boolean} = {}): Route {
  const relay = containers.find((c) => c.labels[LABEL.role] === RELAY_ROLE)
  const endpoint = engine.endpoint?.() ?? engineEndpoint(undefined)
  // Never dial a remote engine's private addresses, or overlay addresses, from here: they could be another machine's.
  if (!relay && endpoint.remote) return noRoute(`${remoteWhy(endpoint)}, and the topology has no relay (firedrill up adds it)`)
  if (!relay && opts.overlay) return noRoute("the topology's networks are swarm overlays, whose addresses are not routable from here, and it has no relay (firedrill up adds it)")
  if (!relay) return directRoute
  const exec = engine.exec?.bind(engine)
  if (!exec) throw new Error(`the relay ${relay.name} is set up by exec, which this engine cannot do`)
  let byId = routes.get(engine)
  if (!byId) routes.set(engine, (byId = new Map()))
  const known = byId.get(relay.id)
  if (known) return known
  const route = new RelayRoute({exec}, relay, endpoint.publishedHost)
  byId.set(relay.id, route)
  return route
}

/** How a TCP connect attempt ended: it connected, the host refused (it is reachable: only the port is closed), or nothing answered in time. */
export type ConnectOutcome = {kind: 'connected' | 'refused'; ms: number} | {kind: 'unreachable'; ms: number; detail: string}

export function tryConnect(host: string, port: number, timeoutMs: number): Promise<ConnectOutcome> {
  return new Promise((resolve) => {
    const started = performance.now()
    const ms = () => performance.now() - started
    const socket = net.connect({host, port})
    const timer = setTimeout(() => {
      socket.destroy()
      resolve({kind: 'unreachable', ms: ms(), detail: `no answer within ${timeoutMs} ms`})
    }, timeoutMs)
    socket.once('connect', () => {
      clearTimeout(timer)
      const took = ms()
      socket.destroy()
      resolve({kind: 'connected', ms: took})
    })
    socket.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer)
      if (error.code === 'ECONNREFUSED') resolve({kind: 'refused', ms: ms()})
      else resolve({kind: 'unreachable', ms: ms(), detail: error.code ?? errorMessage(error)})
    })
  })
}

/** The target up asks about: a running instance's WAN address, at a port it serves when the topology says one. */
export function reachTarget(topology: Topology, containers: readonly ContainerSummary[]): {address: string; port: number; name: string} | undefined {
  const wan = networkName(topology.project, undefined)
  for (const i of topology.instances) {
    const c = containers.find((x) => x.name === i.containerName && x.state === 'running')
    const address = c?.addresses[wan]
    if (!address) continue
    const port = i.cluster ? ('api_port' in i.cluster ? i.cluster.api_port : 'port' in i.cluster ? i.cluster.port : undefined) : undefined
    return {address, port: port ?? i.ports[0]?.container ?? 9, name: i.containerName}
  }
  return undefined
}

export interface RouteDecision {
  relay: boolean
  why: string
}

/**
 * Whether the runner needs the relay, decided by asking rather than guessing. Overlay networks (sites on
 * several engines) always need it. A remote engine always needs it: its containers' addresses are private to that host, and an address that answered from here
 * could be another machine's container (here, an engine in a container has the same 172.x ranges as the
 * engine around it). A local engine needs it when a connect to a container's address gets no answer
 * (Docker Desktop, a rootless engine): connected or refused means the address is routable.
 */
export async function decideRoute(
  endpoint: EngineEndpoint,
  target: {address: string; port: number} | undefined,
  connect = tryConnect,
  overlay = false,
): Promise<RouteDecision> {
  if (endpoint.remote) return {relay: true, why: remoteWhy(endpoint)}
  // Overlay addresses live inside the swarm's VXLAN: never routable from a host, and not to be dialled from here.
  if (overlay) return {relay: true, why: "the topology's networks are swarm overlays, whose addresses are not routable from here"}
  if (!target) return {relay: false, why: 'no running container to ask; direct'}
  const outcome = await connect(target.address, target.port, 1000)
  if (outcome.kind !== 'unreachable') return {relay: false, why: `${target.address} answered from here (${outcome.kind})`}
  return {relay: true, why: `the containers' addresses are not routable from here (${target.address}:${target.port}: ${outcome.detail})`}
}

/** The runner cannot reach the containers even through the relay: said at once, in those words, exit 3. */
export function unreachableThroughRelay(relay: string, via: Endpoint, target: {address: string; port: number}, detail: string, endpoint: EngineEndpoint): EngineUnavailableError {
  return new EngineUnavailableError(
    `the runner cannot reach the topology's containers on the engine at ${endpoint.describe}: their addresses are not routable from here, and the relay ${relay} at ${via.host}:${via.port} (forwarding to ${target.address}:${target.port}) did not answer: ${detail}`,
    [
      `let this machine reach the engine's host on the ports the relay publishes (docker port ${relay}), e.g. open them in its firewall`,
      'or run firedrill on the engine\'s host, or on a machine that routes to its container networks',
    ],
  )
}

/**
 * Connect times (ms) through the route to a container's port and to the relay's own refusing port,
 * one after another, `trials` of each (interleaved, so both see the same moments). Undefined when direct.
 */
export async function relayConnectTimes(route: Route, target: {address: string; port: number}, trials: number, connect = tryConnect): Promise<{through: number[]; toRelay: number[]} | undefined> {
  if (!(route instanceof RelayRoute)) return undefined
  const bare = route.bareEndpoint()
  if (!bare) return undefined
  const via = await route.endpoint(target.address, target.port)
  const through: number[] = []
  const toRelay: number[] = []
  for (let i = 0; i < trials; i++) {
    const t = await connect(via.host, via.port, 1000)
    if (t.kind !== 'unreachable') through.push(t.ms)
    const r = await connect(bare.host, bare.port, 1000)
    if (r.kind !== 'unreachable') toRelay.push(r.ms)
  }
  return {through, toRelay}
}

/**
 * Why the relay cannot have carried the probes to the end of a run (stopped, or gone), or undefined
 * while it runs. An engine that does not answer is the engine lost, reported as such elsewhere.
 */
export async function relayStopped(engine: Pick<Containers, 'findContainerByName'>, name: string): Promise<string | undefined> {
  const relay = await engine.findContainerByName(name).catch(() => 'unknown' as const)
  if (relay === 'unknown' || relay?.state === 'running') return undefined
  return `the relay ${name}, through which the probes reached the containers, ${relay ? `is ${relay.state}` : 'is gone'}: the samples say nothing about the system after it stopped`
}

/** One line for people: how the runner reaches the containers when it is not directly. */
export function describeRoute(via: RouteVia): string {
  if (via.kind === 'none') return `The runner cannot reach the containers: ${via.why}.`
  return via.kind === 'direct' ? 'The runner reaches the containers directly.' : `The runner reaches the containers through the relay ${via.container} on ${via.host}${via.why ? ` (${via.why})` : ''}.`
}

/** The relay containers of a project, for down, cleanup and status. */
export function isRelay(c: Pick<ContainerSummary, 'labels'>): boolean {
  return c.labels[LABEL.role] === RELAY_ROLE
}

