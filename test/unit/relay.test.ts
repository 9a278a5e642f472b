import http from 'node:http'
import net from 'node:net'
import type {AddressInfo} from 'node:net'

import {afterEach, describe, expect, it} from 'vitest'

import {patroniRoleReader} from '../../src/cluster/patroni.js'
import {loadTopology} from '../../src/config/load-topology.js'
import type {ContainerCreateRequest, ContainerSummary, Engine, ExecResult} from '../../src/engine/engine.js'
import {engineEndpoint} from '../../src/engine/endpoint.js'
import {EngineUnavailableError} from '../../src/errors.js'
import {routeRecord, withRelay, median} from '../../src/measure/relay.js'
import {networkName} from '../../src/model/topology.js'
import {DEFAULT_TOPOLOGY} from '../../src/paths.js'
import {TcpProbe} from '../../src/probes/tcp/probe.js'
import {tcpSchema} from '../../src/probes/tcp/schema.js'
import {ensureRoute} from '../../src/topology/lifecycle.js'
import {observe} from '../../src/topology/observe.js'
import {
  decideRoute,
  directRoute,
  forwardArgv,
  ForwardTable,
  parseForwards,
  RELAY_BARE_SLOT,
  RELAY_FIRST_SLOT,
  RELAY_SLOTS,
  relayConnectTimes,
  relayName,
  relayStopped,
  routeOf,
  type ConnectOutcome,
} from '../../src/topology/relay.js'
import {systemClock} from '../../src/util/time.js'

const closers: (() => Promise<void>)[] = []
afterEach(async () => {
  while (closers.length > 0) await closers.pop()!()
})

async function listen(server: net.Server | http.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  closers.push(() => new Promise<void>((resolve) => server.close(() => resolve())))
  return (server.address() as AddressInfo).port
}

const remote = engineEndpoint('tcp://10.9.8.7:2375')
const local = engineEndpoint(undefined)

/**
 * A relay as the engine lists it, and an exec that keeps its PREROUTING rules the way iptables would
 * (the forwardArgv script is read, not run: its last rule is added, rules on the same --dport removed).
 */
function fakeRelay(project = 'bank-3site', rules: string[] = []) {
  const published = Array.from({length: RELAY_SLOTS}, (_, i) => ({container: RELAY_FIRST_SLOT + i, host: 40_000 + i}))
  const relay: ContainerSummary = {
    id: 'relay-id',
    name: relayName(project),
    image: 'firedrill/net-helper:1',
    state: 'running',
    health: 'none',
    labels: {'io.firedrill.project': project, 'io.firedrill.role': 'relay', 'io.firedrill.relay-why': 'far away'},
    addresses: {},
    published,
  }
  const calls: string[][] = []
  const exec = async (id: string, argv: string[]): Promise<ExecResult> => {
    expect(id).toBe('relay-id')
    calls.push(argv)
    if (argv[0] === 'iptables') return {exitCode: 0, stdout: ['-P PREROUTING ACCEPT', ...rules].join('\n'), stderr: ''}
    const script = argv[2]!
    const m = /-A PREROUTING (-p tcp -m tcp --dport (\d+) -j DNAT --to-destination \S+)$/.exec(script)!
    for (let i = rules.length - 1; i >= 0; i--) if (rules[i]!.includes(`--dport ${m[2]} `)) rules.splice(i, 1)
    rules.push(`-A PREROUTING ${m[1]}`)
    return {exitCode: 0, stdout: '', stderr: ''}
  }
  return {relay, calls, rules, exec}
}

describe('where the engine runs', () => {
  it('reads DOCKER_HOST as docker-modem does: sockets and loopback are here, tcp:// and ssh:// hosts are elsewhere', () => {
    expect(engineEndpoint(undefined)).toEqual({describe: '/var/run/docker.sock', publishedHost: '127.0.0.1', remote: false})
    expect(engineEndpoint('unix:///run/user/1000/docker.sock').remote).toBe(false)
    expect(engineEndpoint('tcp://127.0.0.1:2375').remote).toBe(false)
    expect(engineEndpoint('tcp://localhost:2376').remote).toBe(false)
    expect(engineEndpoint('tcp://172.17.0.5:2375')).toEqual({describe: 'tcp://172.17.0.5:2375', publishedHost: '172.17.0.5', remote: true})
    expect(engineEndpoint('ssh://ops@db-host.example')).toMatchObject({publishedHost: 'db-host.example', remote: true})
  })
})

describe('the relay forward table', () => {
  it('reads the forwards back from the relay rules (another firedrill process made them)', () => {
    const listing = [
      '-P PREROUTING ACCEPT',
      '-A PREROUTING -p tcp -m tcp --dport 47000 -j DNAT --to-destination 172.18.0.3:8008',
      '-A PREROUTING -p tcp -m tcp --dport 47001 -j DNAT --to-destination 172.19.0.4:5432',
      '-A PREROUTING -p udp -m udp --dport 53 -j ACCEPT',
    ].join('\n')
    expect(parseForwards(listing)).toEqual([
      {slot: 47000, address: '172.18.0.3', port: 8008},
      {slot: 47001, address: '172.19.0.4', port: 5432},
    ])
  })

  it('a slot for each target, the least recently used one reused when all are taken', () => {
    const table = new ForwardTable([1, 2], [{slot: 1, address: '10.0.0.1', port: 80}])
    expect(table.find('10.0.0.1', 80)).toBe(1)
    expect(table.assign('10.0.0.2', 80)).toBe(2)
    table.find('10.0.0.1', 80) // 10.0.0.2 is now the least recently used
    expect(table.assign('10.0.0.3', 80)).toBe(2)
    expect(table.find('10.0.0.2', 80)).toBeUndefined()
    expect(table.find('10.0.0.3', 80)).toBe(2)
  })

  it('checks what reaches the relay shell: an IPv4 address and a port, nothing else', () => {
    expect(forwardArgv(47003, '172.18.0.9', 5432).at(-1)).toMatch(/iptables -w -t nat -A PREROUTING -p tcp -m tcp --dport 47003 -j DNAT --to-destination 172\.18\.0\.9:5432$/)
    expect(() => forwardArgv(47003, '172.18.0.9; rm -rf /', 5432)).toThrow('not an IPv4 address')
    expect(() => forwardArgv(47003, '172.18.0.9', 70_000)).toThrow('not a TCP port')
  })
})

describe('the route through a relay', () => {
  it('forwards each (address, port) once, on the engine host and the port it published, one rule change at a time', async () => {
    const {relay, calls, exec} = fakeRelay()
    const engine = {exec, endpoint: () => remote}
    const route = routeOf(engine, [relay])
    expect(route.via).toEqual({kind: 'relay', container: 'fd-bank-3site-relay', host: '10.9.8.7', why: 'far away'})
    const [a, b] = await Promise.all([route.endpoint('172.18.0.3', 8008), route.endpoint('172.18.0.4', 8008)])
    expect(a).toEqual({host: '10.9.8.7', port: 40_000})
    expect(b).toEqual({host: '10.9.8.7', port: 40_001})
    expect(await route.endpoint('172.18.0.3', 8008)).toEqual(a)
    // One listing, then one rule per new target; the same target again asks nothing of the relay.
    expect(calls.map((c) => c[0])).toEqual(['iptables', 'sh', 'sh'])
    // The same relay container gives the same route (its table), a new one a new route.
    expect(routeOf(engine, [relay])).toBe(route)
    expect(routeOf(engine, [{...relay, id: 'other'}])).not.toBe(route)
  })

  it('never forwards the bare slot: it times the path as far as the relay', async () => {
    const {relay, exec} = fakeRelay()
    const route = routeOf({exec, endpoint: () => remote}, [relay])
    const ports = new Set<number>()
    for (let i = 0; i < RELAY_SLOTS + 5; i++) ports.add((await route.endpoint(`172.18.1.${i}`, 5432)).port)
    expect(ports.size).toBe(RELAY_SLOTS - 1)
    expect(ports.has(40_000 + (RELAY_BARE_SLOT - RELAY_FIRST_SLOT))).toBe(false)
  })

  it('a process that comes later finds the forwards the relay already holds', async () => {
    const {relay, calls, exec} = fakeRelay('bank-3site', ['-A PREROUTING -p tcp -m tcp --dport 47005 -j DNAT --to-destination 172.18.0.3:8008'])
    const route = routeOf({exec, endpoint: () => remote}, [relay])
    expect(await route.endpoint('172.18.0.3', 8008)).toEqual({host: '10.9.8.7', port: 40_005})
    expect(calls.map((c) => c[0])).toEqual(['iptables'])
  })

  it('a remote engine with no relay: no route, and nothing dialled (its addresses could be another machine here)', async () => {
    const route = routeOf({endpoint: () => remote}, [])
    expect(route.via).toEqual({kind: 'none', why: "the engine at tcp://10.9.8.7:2375 runs on another host: its containers' addresses are not routable from here, and the topology has no relay (firedrill up adds it)"})
    await expect(route.endpoint('172.18.0.3', 8008)).rejects.toThrow(/^the runner cannot reach the topology's containers: the engine at tcp:\/\/10\.9\.8\.7:2375 runs on another host/)
  })

  it('overlay networks with no relay: no route either, even on a local engine', async () => {
    const route = routeOf({endpoint: () => local}, [], {overlay: true})
    expect(route.via.kind).toBe('none')
    await expect(route.endpoint('10.0.1.5', 5432)).rejects.toThrow(/swarm overlays/)
    expect((await decideRoute(local, {address: '10.0.1.5', port: 5432}, async () => ({kind: 'refused', ms: 1}), true)).relay).toBe(true)
  })

  it('no relay among the containers of a local engine: direct, the container address itself', async () => {
    expect(routeOf({}, [])).toBe(directRoute)
    expect(await directRoute.endpoint('172.18.0.3', 5432)).toEqual({host: '172.18.0.3', port: 5432})
  })
})

describe('deciding whether the runner needs the relay', () => {
  const never = async (): Promise<ConnectOutcome> => {
    throw new Error('a container address of another host must never be connected to from here')
  }
  it('a remote engine always: its addresses are not routable here, and one that answered could be another machine', async () => {
    const d = await decideRoute(remote, {address: '172.18.0.2', port: 8008}, never)
    expect(d).toEqual({relay: true, why: "the engine at tcp://10.9.8.7:2375 runs on another host: its containers' addresses are not routable from here"})
  })
  it('a local engine: asked with a connect; refused counts as reachable, no answer does not', async () => {
    expect((await decideRoute(local, {address: '172.18.0.2', port: 8008}, async () => ({kind: 'refused', ms: 1}))).relay).toBe(false)
    expect((await decideRoute(local, {address: '172.18.0.2', port: 8008}, async () => ({kind: 'connected', ms: 1}))).relay).toBe(false)
    const far = await decideRoute(local, {address: '172.18.0.2', port: 8008}, async () => ({kind: 'unreachable', ms: 1000, detail: 'no answer within 1000 ms'}))
    expect(far).toEqual({relay: true, why: "the containers' addresses are not routable from here (172.18.0.2:8008: no answer within 1000 ms)"})
  })
})

describe('probes and role readers go through the seam', () => {
  it('the tcp probe connects where the node reach says, not to its container address', async () => {
    const port = await listen(net.createServer((s) => s.end()))
    const asked: number[] = []
    // 192.0.2.1 is TEST-NET-1: never routed; only the reach makes this probe succeed.
    const node = {name: 'a', address: '192.0.2.1', reach: async (p: number) => (asked.push(p), {host: '127.0.0.1', port})}
    const probe = new TcpProbe(tcpSchema.parse({kind: 'tcp', service: 's', port: 5432, interval: '40ms', timeout: '300ms'}), async () => [node], systemClock)
    await probe.start()
    while (probe.samples.length < 2) await systemClock.sleep(20)
    await probe.stop()
    await probe.close()
    expect(probe.samples.slice(0, 2).map((s) => s.outcome)).toEqual(['ok', 'ok'])
    expect(asked[0]).toBe(5432)
  })

  it('the Patroni role reader asks each member where its reach says', async () => {
    const port = await listen(
      http.createServer((req, res) => {
        res.setHeader('content-type', 'application/json')
        if (req.url === '/cluster') res.end(JSON.stringify({members: [{name: 'pg-a', role: 'leader', state: 'running'}, {name: 'pg-b', role: 'sync_standby', state: 'streaming'}]}))
        else res.end(JSON.stringify({role: 'master', replication: [{application_name: 'pg-b', state: 'streaming', sync_state: 'sync'}]}))
      }),
    )
    const asked: string[] = []
    const member = (name: string, address: string) => ({name, address, reach: async (p: number) => (asked.push(`${address}:${p}`), {host: '127.0.0.1', port})})
    const cluster = {manager: 'patroni', api_port: 8008, ready_when: {leader: 1, sync_standby: 1, replica: 0}} as Parameters<typeof patroniRoleReader.readRoles>[1]
    const roles = await patroniRoleReader.readRoles([member('pg-a', '192.0.2.1'), member('pg-b', '192.0.2.2')], cluster)
    expect(Object.fromEntries([...roles!].map(([n, r]) => [n, [r.role, r.streaming ?? null]]))).toEqual({'pg-a': ['leader', null], 'pg-b': ['sync_standby', true]})
    expect(asked.sort()).toEqual(['192.0.2.1:8008', '192.0.2.1:8008', '192.0.2.2:8008'])
  })

  it('observe hands the role reader members reached through the relay, and does not count the relay as a stranger', async () => {
    const topology = loadTopology(DEFAULT_TOPOLOGY)
    const {relay, exec} = fakeRelay()
    const wan = networkName(topology.project, undefined)
    const containers: ContainerSummary[] = topology.instances.map((i, n) => ({
      id: `c${n}`,
      name: i.containerName,
      image: i.image,
      state: 'running',
      health: 'healthy',
      labels: {'io.firedrill.project': topology.project},
      addresses: {[wan]: `172.18.0.${n + 2}`},
    }))
    const seen = await observe(topology, {listContainers: async () => [...containers, relay], exec, endpoint: () => remote})
    expect(seen.strangers).toEqual([])
    expect(seen.route.via.kind).toBe('relay')
    const pg = seen.instances.find((o) => o.instance.service === 'postgres')!
    expect(await pg.reach!(8008)).toMatchObject({host: '10.9.8.7'})
  })
})

describe('up settles the route before waiting on roles', () => {
  function fakeEngine(endpoint = remote) {
    const topology = loadTopology(DEFAULT_TOPOLOGY)
    const wan = networkName(topology.project, undefined)
    const containers: ContainerSummary[] = topology.instances.map((i, n) => ({
      id: `c${n}`,
      name: i.containerName,
      image: i.image,
      state: 'running',
      health: 'healthy',
      labels: {'io.firedrill.project': topology.project},
      addresses: {[wan]: `172.18.0.${n + 2}`},
    }))
    const made = fakeRelay()
    const created: ContainerCreateRequest[] = []
    const engine = {
      endpoint: () => endpoint,
      listContainers: async () => [...containers, ...(created.length > 0 ? [made.relay] : [])],
      createContainer: async (req: ContainerCreateRequest) => (created.push(req), made.relay.id),
      startContainer: async () => {},
      exec: made.exec,
    }
    return {topology, engine: engine as unknown as Engine, created}
  }

  it('a remote engine gets a relay on every network of the topology, its slots published on the engine host, checked by a connect through it', async () => {
    const {topology, engine, created} = fakeEngine()
    const ids: string[] = []
    const tried: string[] = []
    const via = await ensureRoute(topology, engine, {relayImage: async () => 'firedrill/net-helper:1'}, ids, async (host, port) => (tried.push(`${host}:${port}`), {kind: 'refused', ms: 2}))
    expect(via).toMatchObject({kind: 'relay', container: 'fd-bank-3site-relay', host: '10.9.8.7'})
    expect(ids).toEqual(['relay-id'])
    const req = created[0]!
    expect(req.networks.map((n) => n.name).sort()).toEqual(topology.networks.map((n) => n.name).sort())
    expect(req.labels).toMatchObject({'io.firedrill.project': 'bank-3site', 'io.firedrill.role': 'relay'})
    expect(req.ports).toHaveLength(RELAY_SLOTS)
    expect(req.ports.every((p) => p.hostIp === '0.0.0.0' && p.host === 0)).toBe(true)
    expect(req.capAdd).toEqual(['NET_ADMIN', 'NET_RAW'])
    expect(req.sysctls).toEqual({'net.ipv4.ip_forward': '1'})
    expect(tried).toEqual(['10.9.8.7:40000'])
  })

  it('when even the relay does not get through, it says the runner cannot reach the containers, at once (exit 3)', async () => {
    const {topology, engine} = fakeEngine()
    const error = await ensureRoute(topology, engine, {relayImage: async () => 'img'}, [], async () => ({kind: 'unreachable', ms: 3000, detail: 'no answer within 3000 ms'})).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(EngineUnavailableError)
    expect((error as Error).message).toMatch(/^the runner cannot reach the topology's containers on the engine at tcp:\/\/10\.9\.8\.7:2375: their addresses are not routable from here, and the relay fd-bank-3site-relay at 10\.9\.8\.7:40000/)
    expect((error as EngineUnavailableError).exitCode).toBe(3)
  })

  it('a local engine whose containers answer: direct, no relay', async () => {
    const {topology, engine, created} = fakeEngine(local)
    expect(await ensureRoute(topology, engine, {}, [], async () => ({kind: 'refused', ms: 1}))).toEqual({kind: 'direct'})
    expect(created).toEqual([])
  })

  it('without a relay image to use (a caller that cannot make one), the runner cannot reach them and says so', async () => {
    const {topology, engine} = fakeEngine()
    await expect(ensureRoute(topology, engine, {}, [])).rejects.toThrow(/^the runner cannot reach the topology's containers: the engine at tcp:\/\/10\.9\.8\.7:2375 runs on another host/)
  })
})

describe('a relay that stops during a run', () => {
  it('is named as why the run cannot be measured; a running relay, or an engine that does not answer, is not', async () => {
    const {relay} = fakeRelay()
    const engine = (found: ContainerSummary | undefined | Error) => ({findContainerByName: async () => (found instanceof Error ? Promise.reject(found) : found)})
    expect(await relayStopped(engine(relay), relay.name)).toBeUndefined()
    expect(await relayStopped(engine({...relay, state: 'exited'}), relay.name)).toBe(
      'the relay fd-bank-3site-relay, through which the probes reached the containers, is exited: the samples say nothing about the system after it stopped',
    )
    expect(await relayStopped(engine(undefined), relay.name)).toMatch(/fd-bank-3site-relay, through which the probes reached the containers, is gone/)
    expect(await relayStopped(engine(new EngineUnavailableError('gone')), relay.name)).toBeUndefined()
  })
})

describe('what the relay adds, in the result', () => {
  it('medians of the connects through it and to it; the difference is added to every resolution', async () => {
    expect(median([3, 1, 2])).toBe(2)
    expect(median([4, 1, 2, 3])).toBe(2.5)
    expect(median([])).toBeUndefined()
    const via = {kind: 'relay' as const, container: 'fd-p-relay', host: '10.9.8.7', why: 'far'}
    const r = routeRecord(via, {through: [2.0, 2.4, 9.0], toRelay: [1.1, 1.0, 1.2]})
    expect(r).toEqual({via: 'relay', relay: 'fd-p-relay', host: '10.9.8.7', why: 'far', connect_ms: 2.4, added_ms: 1.3, trials: 3})
    expect(withRelay(100, r)).toBe(101.3)
    expect(withRelay(100, routeRecord({kind: 'direct'}))).toBe(100)
    expect(routeRecord(via, {through: [1], toRelay: [2]}).added_ms).toBe(0)
  })

  it('times connects through the relay and to its bare slot, interleaved', async () => {
    const {relay, exec} = fakeRelay()
    const route = routeOf({exec, endpoint: () => remote}, [relay])
    const seen: number[] = []
    const times = await relayConnectTimes(route, {address: '172.18.0.3', port: 8008}, 3, async (_h, port) => (seen.push(port), {kind: port === 40_000 ? 'connected' : 'refused', ms: port === 40_000 ? 2 : 1}))
    expect(times).toEqual({through: [2, 2, 2], toRelay: [1, 1, 1]})
    expect(seen).toEqual([40_000, 40_031, 40_000, 40_031, 40_000, 40_031])
    expect(await relayConnectTimes(directRoute, {address: '172.18.0.3', port: 8008}, 3)).toBeUndefined()
  })
})
