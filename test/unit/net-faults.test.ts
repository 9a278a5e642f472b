import path from 'node:path'

import {afterEach, beforeEach, describe, expect, it, vi} from 'vitest'

import {loadDrill} from '../../src/config/load-drill.js'
import type {ContainerCreateRequest, ExecResult} from '../../src/engine/engine.js'
import {ConfigError, type ConfigIssue} from '../../src/errors.js'
import {degradeFault} from '../../src/faults/degrade.js'
import {NET_HELPER_IMAGE, NetHelpers, type NetEngine} from '../../src/faults/net-helper.js'
import {chainName, cutPairs, DELAY_QUEUE, DETECT_SCRIPT, deviceOf, isCut, mechanismFromExit, partitionApply, planDegrade, planPartition, revertScript, shellQuote} from '../../src/faults/net-rules.js'
import {partitionFault} from '../../src/faults/partition.js'
import {describeLag, summarizeLag} from '../../src/measure/replication-lag.js'
import {DEFAULT_TOPOLOGY, PACKAGE_ROOT} from '../../src/paths.js'
import {tempDir} from '../support/files.js'

describe('partition rules', () => {
  const groups = [['seoul'], ['gyeonggi', 'busan']]

  it('both ways: seoul is cut from the other two, who still reach each other', () => {
    expect(cutPairs(groups, 'both')).toEqual([
      {from: 'seoul', to: 'gyeonggi'},
      {from: 'seoul', to: 'busan'},
      {from: 'gyeonggi', to: 'seoul'},
      {from: 'busan', to: 'seoul'},
    ])
  })

  it('one-way: only from an earlier group to a later one', () => {
    expect(cutPairs(groups, 'one-way')).toEqual([
      {from: 'seoul', to: 'gyeonggi'},
      {from: 'seoul', to: 'busan'},
    ])
  })

  it('overlapping groups: a site in two groups reaches both; the others are cut apart', () => {
    const overlap = [['seoul', 'gyeonggi'], ['gyeonggi', 'busan']]
    expect(isCut(overlap, 'both', 'seoul', 'busan')).toBe(true)
    expect(isCut(overlap, 'both', 'busan', 'seoul')).toBe(true)
    expect(isCut(overlap, 'both', 'gyeonggi', 'busan')).toBe(false)
    expect(isCut(overlap, 'both', 'seoul', 'gyeonggi')).toBe(false)
    expect(isCut(overlap, 'one-way', 'busan', 'seoul')).toBe(false)
  })

  it('the receiver drops the sender\'s WAN addresses on INPUT, in a chain of the fault\'s own', () => {
    const members = [
      {site: 'seoul', containerId: 's1', containerName: 'pg-seoul', address: '10.0.0.1'},
      {site: 'seoul', containerId: 's2', containerName: 'etcd-seoul', address: '10.0.0.2'},
      {site: 'busan', containerId: 'b1', containerName: 'pg-busan', address: '10.0.0.3'},
      {site: 'gyeonggi', containerId: 'g1', containerName: 'pg-gyeonggi', address: '10.0.0.4'},
    ]
    const oneWay = planPartition([['seoul'], ['busan']], 'one-way', members)
    expect(oneWay).toEqual([{containerId: 'b1', containerName: 'pg-busan', site: 'busan', dropFrom: [{site: 'seoul', address: '10.0.0.1'}, {site: 'seoul', address: '10.0.0.2'}]}])
    expect(partitionApply(chainName('abc123'), oneWay[0]!).split('\n')).toEqual([
      'set -e',
      'iptables -w -N FIREDRILL-abc123',
      'iptables -w -A FIREDRILL-abc123 -s 10.0.0.1/32 -j DROP',
      'iptables -w -A FIREDRILL-abc123 -s 10.0.0.2/32 -j DROP',
      'iptables -w -I INPUT 1 -j FIREDRILL-abc123',
    ])
    const both = planPartition([['seoul'], ['busan']], 'both', members)
    expect(both.map((r) => r.containerName)).toEqual(['pg-seoul', 'etcd-seoul', 'pg-busan'])
  })

  it('chain names are short and safe', () => {
    expect(chainName('a1b2c3')).toBe('FIREDRILL-a1b2c3')
    expect(chainName('a1b2c3').length).toBeLessThanOrEqual(28)
    expect(() => chainName('x; rm -rf /')).toThrow(/chain tag/)
  })
})

describe('degrade rules', () => {
  const chain = 'FIREDRILL-abc123'

  it('NFQUEUE fallback to the whole WAN: loss by statistic before the queue, the delayer on queue 0xfd00 with bypass, no qdisc without a rate', () => {
    const plan = planDegrade('nfqueue', {latencyMs: 200, lossPercent: 5}, {dev: 'eth1', peers: 'all'}, chain)
    expect(plan.apply.split('\n')).toEqual([
      'set -e',
      `iptables -w -N ${chain}`,
      `iptables -w -A ${chain} -o eth1 -m statistic --mode random --probability 0.050000 -j DROP`,
      `iptables -w -A ${chain} -o eth1 -j NFQUEUE --queue-num ${DELAY_QUEUE} --queue-bypass`,
      `iptables -w -I OUTPUT 1 -j ${chain}`,
    ])
    expect(plan.delayer).toEqual(['firedrill-delayer', '--queue', '64768', '--delay', '200', '--jitter', '0'])
    expect(plan.check).toBe('true')
    expect(plan.summary).toMatch(/latency 200 ms, loss 5 % on everything leaving eth1 via NFQUEUE fallback/)
  })

  it('NFQUEUE fallback to one site with a rate: htb with firedrill\'s handle, the peers to the shaped class, the rest unshaped', () => {
    const plan = planDegrade('nfqueue', {rate: '10mbit'}, {dev: 'eth1', peers: ['10.0.0.5', '10.0.0.6']}, chain)
    expect(plan.delayer).toBeUndefined()
    expect(plan.apply.split('\n')).toEqual([
      'set -e',
      'tc qdisc add dev eth1 root handle fd: htb default 2',
      'tc class add dev eth1 parent fd: classid fd:1 htb rate 10mbit ceil 10mbit',
      'tc class add dev eth1 parent fd: classid fd:2 htb rate 10gbit',
      'tc filter add dev eth1 parent fd: protocol ip prio 1 u32 match ip dst 10.0.0.5/32 flowid fd:1',
      'tc filter add dev eth1 parent fd: protocol ip prio 1 u32 match ip dst 10.0.0.6/32 flowid fd:1',
    ])
    // A device with someone else's root qdisc is refused, not replaced.
    expect(plan.check).toMatch(/already has a root qdisc firedrill will not replace/)
  })

  it('netem where the kernel has it: one qdisc for the whole WAN; prio + netem + filters for one site', () => {
    expect(planDegrade('netem', {latencyMs: 200, jitterMs: 10, lossPercent: 5, rate: '1mbit'}, {dev: 'eth1', peers: 'all'}, chain).apply.split('\n')).toEqual([
      'set -e',
      'tc qdisc add dev eth1 root handle fd: netem delay 200ms 10ms loss 5% rate 1mbit',
    ])
    const site = planDegrade('netem', {latencyMs: 50}, {dev: 'eth1', peers: ['10.0.0.5']}, chain)
    expect(site.delayer).toBeUndefined()
    expect(site.apply.split('\n')).toEqual([
      'set -e',
      'tc qdisc add dev eth1 root handle fd: prio bands 4 priomap 1 2 2 2 1 2 0 0 1 1 1 1 1 1 1 1',
      'tc qdisc add dev eth1 parent fd:4 handle fe: netem delay 50ms',
      'tc filter add dev eth1 parent fd: protocol ip prio 1 u32 match ip dst 10.0.0.5/32 flowid fd:4',
    ])
    expect(site.summary).toMatch(/via tc netem/)
  })

  it('the revert removes only the fault\'s jumps, chain and a root qdisc with handle fd:, then checks nothing is left', () => {
    const text = revertScript(chain, ['eth1'])
    expect(text).toContain(`while iptables -w -D "$hook" -j ${chain}`)
    expect(text).toContain(`iptables -w -F ${chain}; iptables -w -X ${chain}`)
    expect(text).toContain("if tc qdisc show dev eth1 root | grep -q '^qdisc [a-z_]* fd: '; then tc qdisc del dev eth1 root handle fd:; fi")
    expect(text).toMatch(/exit 4/)
    expect(text).not.toMatch(/iptables -w -F\s*$|iptables -w -X\s*$|-t \w+ -F/m)
  })

  it('the mechanism comes from the detection script\'s exit code', () => {
    expect(DETECT_SCRIPT.split('\n')[0]).toMatch(/netem/)
    expect(mechanismFromExit(0, '')).toBe('netem')
    expect(mechanismFromExit(10, 'Error: Specified qdisc kind is unknown.')).toBe('nfqueue')
    expect(() => mechanismFromExit(2, "iptables: No chain/target/match by that name.")).toThrow(/neither tc netem nor the NFQUEUE fallback.*No chain/)
  })

  it('finds the device holding an address', () => {
    const out = ['1: lo    inet 127.0.0.1/8 scope host lo', '38: eth0    inet 172.20.0.3/16 brd 172.20.255.255 scope global eth0', '40: eth1    inet 172.21.0.4/16 brd 172.21.255.255 scope global eth1'].join('\n')
    expect(deviceOf(out, '172.21.0.4')).toBe('eth1')
    expect(deviceOf(out, '172.21.0.40')).toBeUndefined()
  })

  it('quotes shell arguments only when needed', () => {
    expect(shellQuote('10.0.0.1/32')).toBe('10.0.0.1/32')
    expect(shellQuote("it's")).toBe(`'it'\\''s'`)
  })
})

/** A fake engine recording what helpers are asked to do. */
function fakeEngine(exec: (argv: string[]) => Partial<ExecResult> = () => ({})) {
  const created: ContainerCreateRequest[] = []
  const scripts: string[] = []
  const removed: string[] = []
  let n = 0
  const engine = {
    listContainers: vi.fn(async (filters: string[]) =>
      created
        .map((req, i) => ({id: `helper-${i + 1}`, name: req.name, image: req.image, state: 'running' as const, health: 'none' as const, labels: req.labels, addresses: {}}))
        .filter((c) => !removed.includes(c.id) && filters.every((f) => c.labels[f.split('=')[0]!] === f.split('=')[1])),
    ),
    imageId: vi.fn(async () => 'sha256:helper'),
    createContainer: vi.fn(async (req: ContainerCreateRequest) => {
      created.push(req)
      return `helper-${++n}`
    }),
    startContainer: vi.fn(async () => {}),
    stopContainer: vi.fn(async () => {}),
    removeContainer: vi.fn(async (id: string) => void removed.push(id)),
    containerLogs: vi.fn(async () => ''),
    exec: vi.fn(async (_id: string, argv: string[]) => {
      scripts.push(argv[2] ?? argv.join(' '))
      return {exitCode: 0, stdout: '', stderr: '', ...exec(argv)}
    }),
  } satisfies NetEngine
  return {engine, created, scripts, removed}
}

describe('helpers and faults with a fake engine', () => {
  it('helpers join the target\'s namespace with NET_ADMIN only, labelled for cleanup; detection runs once in a namespace of its own', async () => {
    const {engine, created, removed} = fakeEngine((argv) => (argv[2] === DETECT_SCRIPT ? {exitCode: 10} : {}))
    const helpers = new NetHelpers(engine, {project: 'p', runId: 'r1'})
    expect(await helpers.mechanism()).toBe('nfqueue')
    expect(await helpers.mechanism()).toBe('nfqueue')
    expect(created).toHaveLength(1)
    expect(created[0]).toMatchObject({image: NET_HELPER_IMAGE, networkMode: 'none', capDrop: ['ALL'], capAdd: ['NET_ADMIN'], networks: []})
    expect(removed).toEqual(['helper-1'])
    await helpers.attach({id: 'c1', name: 'fd-p-postgres-busan', site: 'busan', service: 'postgres'}, 'abc123', {owns: {chain: 'FIREDRILL-abc123', qdisc: true}})
    expect(created[1]).toMatchObject({
      name: 'fd-p-postgres-busan-net-abc123',
      networkMode: {container: 'c1'},
      capDrop: ['ALL'],
      capAdd: ['NET_ADMIN'],
      labels: {
        'io.firedrill.project': 'p',
        'io.firedrill.run': 'r1',
        'io.firedrill.role': 'net-helper',
        'io.firedrill.site': 'busan',
        'io.firedrill.service': 'postgres',
        'io.firedrill.target': 'c1',
        'io.firedrill.fault': 'FIREDRILL-abc123',
        'io.firedrill.qdisc': 'fd:',
      },
    })
    expect(JSON.stringify(created)).not.toMatch(/privileged|docker\.sock/i)
  })

  it('a missing helper image is an environment error naming the remedy', async () => {
    const {engine} = fakeEngine()
    engine.imageId.mockResolvedValueOnce(undefined as unknown as string)
    await expect(new NetHelpers(engine, {project: 'p', runId: 'r'}).requireImage()).rejects.toThrow(/firedrill\/net-helper:1 is not on this machine/)
  })

  it('degrade starts the delayer as the helper\'s command, waits for its queue, applies, and its revert cleans and removes the helper', async () => {
    const {engine, created, scripts, removed} = fakeEngine((argv) => {
      if (argv[2] === DETECT_SCRIPT) return {exitCode: 10}
      if (argv[2] === 'ip -o -4 addr show') return {stdout: '40: eth1    inet 10.0.0.3/16 brd 10.0.255.255 scope global eth1\n'}
      if (argv[2]?.startsWith('cat /proc/net/netfilter/nfnetlink_queue')) return {stdout: `${DELAY_QUEUE}  1 0 1 0 0 0 0 1\n`}
      return {}
    })
    const helpers = new NetHelpers(engine, {project: 'p', runId: 'r'})
    const injected = await degradeFault(helpers, {latencyMs: 200, lossPercent: 5}, 'wan', [{id: 'b1', name: 'pg-busan', wanAddress: '10.0.0.3', peers: 'all'}], 'abc123').inject()
    expect(injected.mechanism).toBe('nfqueue')
    expect(injected.detail).toMatch(/^mechanism nfqueue; pg-busan: latency 200 ms, loss 5 % on everything leaving eth1/)
    expect(created[1]!.command).toEqual(['firedrill-delayer', '--queue', String(DELAY_QUEUE), '--delay', '200', '--jitter', '0'])
    expect(scripts.some((s) => s.includes('-j NFQUEUE --queue-num 64768 --queue-bypass'))).toBe(true)
    await injected.revert!.run()
    // No rate: the fault owns no qdisc, so its revert touches none (another fault's may be on eth1).
    expect(scripts.at(-1)).toBe(revertScript('FIREDRILL-abc123', []))
    expect(removed).toEqual(['helper-1', 'helper-2'])
  })

  it('a failure half-way undoes what was applied and removes every helper before reporting', async () => {
    const {engine, removed, scripts} = fakeEngine((argv) => (argv[2]?.includes('10.0.0.1/32') && argv[2].includes('-N') ? {} : {}))
    let call = 0
    engine.exec.mockImplementation(async (_id: string, argv: string[]) => {
      scripts.push(argv[2]!)
      // the second container's apply fails
      if (argv[2]!.startsWith('set -e') && ++call === 2) return {exitCode: 1, stdout: '', stderr: 'iptables: boom'}
      return {exitCode: 0, stdout: '', stderr: ''}
    })
    const members = [
      {site: 'seoul', containerId: 's1', containerName: 'pg-seoul', address: '10.0.0.1'},
      {site: 'busan', containerId: 'b1', containerName: 'pg-busan', address: '10.0.0.3'},
    ]
    const fault = partitionFault(new NetHelpers(engine, {project: 'p', runId: 'r'}), [['seoul'], ['busan']], 'both', members, 'abc123')
    await expect(fault.inject()).rejects.toThrow(/iptables: boom/)
    expect(scripts.filter((s) => s.startsWith('for hook in INPUT OUTPUT'))).toHaveLength(2)
    expect(removed.sort()).toEqual(['helper-1', 'helper-2'])
  })

  it('a later run heals what a crashed run left: its chains and qdisc in each target, then its helpers', async () => {
    const {engine, scripts, removed, created} = fakeEngine()
    const crashed = new NetHelpers(engine, {project: 'p', runId: 'crashed'})
    await crashed.attach({id: 'b1', name: 'pg-busan'}, 'aaa111', {command: ['firedrill-delayer'], owns: {chain: 'FIREDRILL-aaa111', qdisc: true}})
    await crashed.attach({id: 'b1', name: 'pg-busan'}, 'bbb222', {owns: {chain: 'FIREDRILL-bbb222', qdisc: false}})
    await crashed.attach({id: 's1', name: 'pg-seoul'}, 'bbb222', {owns: {chain: 'FIREDRILL-bbb222', qdisc: false}})
    const next = new NetHelpers(engine, {project: 'p', runId: 'next'})
    const healed = await next.healLeftovers()
    expect(healed).toEqual(['removed FIREDRILL-aaa111, FIREDRILL-bbb222 and qdisc fd: in container b1', 'removed FIREDRILL-bbb222 in container s1'])
    const recover = scripts.filter((s) => s.includes('for hook in INPUT OUTPUT'))
    expect(recover[0]).toContain('FIREDRILL-aaa111')
    expect(recover[0]).toContain('FIREDRILL-bbb222')
    expect(recover[0]).toMatch(/for dev in \$\(ls \/sys\/class\/net\)/)
    expect(recover[1]).not.toMatch(/qdisc del/)
    // the three leftovers and the two fresh helpers used to heal: all gone
    expect(removed.sort()).toEqual(created.map((_, i) => `helper-${i + 1}`).sort())
    expect(await next.healLeftovers()).toEqual([])
  })

  it('a revert whose helper is gone runs through a fresh one', async () => {
    const {engine, created} = fakeEngine()
    const helpers = new NetHelpers(engine, {project: 'p', runId: 'r'})
    const members = [
      {site: 'seoul', containerId: 's1', containerName: 'pg-seoul', address: '10.0.0.1'},
      {site: 'busan', containerId: 'b1', containerName: 'pg-busan', address: '10.0.0.3'},
    ]
    const injected = await partitionFault(helpers, [['seoul'], ['busan']], 'one-way', members, 'abc123').inject()
    engine.exec.mockImplementationOnce(async () => {
      throw new Error('exec in helper-1: container is not running')
    })
    await injected.revert!.run()
    expect(created.map((c) => c.name)).toEqual(['pg-busan-net-abc123', expect.stringMatching(/^pg-busan-net-[0-9a-f]{6}x$/)])
  })
})

describe('replication lag summary', () => {
  const at = (t: number, lag: number | null, state = 'streaming') => ({t, standby: 'postgres-busan', replay_lag_ms: lag, lag_bytes: lag === null ? null : lag * 10, state})

  it('splits readings into baseline, during the fault and after healing', () => {
    const samples = [at(0, 1), at(1, 2), at(2, 3), at(10, 200), at(11, 400), at(12, null), at(13, 250, 'catchup'), at(20, 2), at(21, 1)]
    const [busan] = summarizeLag(samples, ['postgres-busan'], 10, 20)
    expect(busan!.baseline).toMatchObject({samples: 3, median_ms: 2, max_ms: 3})
    expect(busan!.during_fault).toMatchObject({samples: 4, with_lag: 3, not_streaming: 1, median_ms: 250, p95_ms: 400, max_ms: 400, max_bytes: 4000})
    expect(busan!.after_heal).toMatchObject({samples: 2, max_ms: 2})
    expect(describeLag([busan!])[0]).toBe(
      'postgres-busan replay lag: baseline median 2 ms, p95 3 ms, max 3 ms; during the fault median 250 ms, p95 400 ms, max 400 ms (1 not streaming); after healing median 1 ms, p95 2 ms, max 2 ms',
    )
    expect(summarizeLag(samples, ['postgres-busan'], 10)[0]!.after_heal).toBeNull()
  })
})

describe('drill syntax for network faults', () => {
  let tmp: ReturnType<typeof tempDir>
  beforeEach(() => {
    tmp = tempDir()
  })
  afterEach(() => tmp.cleanup())

  const drill = (steps: string) => `name: net
objectives: {rto: 30s}
probe: {kind: postgres-write, service: postgres}
steps:
${steps}`
  const issues = (text: string): ConfigIssue[] => {
    try {
      loadDrill(tmp.write('drill.yaml', text), {topology: DEFAULT_TOPOLOGY})
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError)
      return (error as ConfigError).issues
    }
    throw new Error('expected a ConfigError')
  }

  it('the shipped wan-degradation drill loads', () => {
    const {drill: d} = loadDrill(path.join(PACKAGE_ROOT, 'drills', 'wan-degradation.yaml'))
    const fault = d.steps.find((s) => s.kind === 'fault')!
    expect(fault).toMatchObject({fault: 'degrade', target: {site: 'busan'}, peer: 'wan', latency: 200, loss: 5})
    expect(d.objectives).toEqual({rtoMs: 0, rpoMs: 0})
    expect(d.replicationLag).toEqual({probe: 'probe', standbys: ['postgres-busan'], intervalMs: 250})
  })

  it('partition with groups and a direction; degrade with a site peer', () => {
    const {drill: d} = loadDrill(
      tmp.write(
        'ok.yaml',
        drill(`  - fault: partition
    groups: [[seoul], [gyeonggi, busan]]
    direction: one-way
  - fault: degrade
    target: {site: busan, service: postgres}
    peer: seoul
    latency: 50ms
    jitter: 5ms
    loss: 0.5%
    rate: 10mbit
`),
      ),
      {topology: DEFAULT_TOPOLOGY},
    )
    expect(d.steps[0]).toMatchObject({fault: 'partition', groups: [['seoul'], ['gyeonggi', 'busan']], direction: 'one-way'})
    expect(d.steps[1]).toMatchObject({fault: 'degrade', peer: 'seoul', latency: 50, jitter: 5, loss: 0.5, rate: '10mbit'})
  })

  it('every mistake at once, each at its field', () => {
    const found = issues(
      drill(`  - fault: partition
    target: {site: seoul}
    groups: [[seoul], [osaka]]
  - fault: partition
    groups: [[seoul]]
  - fault: degrade
    target: {site: busan}
    peer: tokyo
    jitter: 10ms
    loss: 150%
    rate: fast
  - fault: degrade
    target: {site: busan}
  - fault: kill
    target: {service: postgres}
    latency: 10ms
`),
    )
    const byField = Object.fromEntries(found.map((i) => [i.field, i.message]))
    expect(byField['steps[0].target']).toMatch(/give groups, not target/)
    expect(byField['steps[1].groups']).toMatch(/at least two groups/)
    expect(byField['steps[2].loss']).toMatch(/"150%" is not a percentage/)
    expect(byField['steps[2].rate']).toMatch(/rate must be a number with a unit/)
    expect(found.find((i) => i.field === 'steps[3]')?.message).toMatch(/at least one of latency, loss, rate/)
    expect(byField['steps[4].latency']).toMatch(/latency only applies to degrade/)
  })

  it('groups that cut nothing', () => {
    const found = issues(drill(`  - fault: partition\n    groups: [[seoul, busan], [busan]]\n`))
    expect(found).toEqual([expect.objectContaining({field: 'steps[0].groups', message: expect.stringMatching(/cut no site off from another/)})])
  })

  it('sites and peers the topology does not have', () => {
    const found = issues(
      drill(`  - fault: partition
    groups: [[seoul], [osaka]]
  - fault: degrade
    target: {site: busan}
    peer: tokyo
    latency: 10ms
`),
    )
    expect(found.map((i) => [i.field, i.message])).toEqual([
      ['steps[0].groups[1][0]', expect.stringMatching(/site "osaka" is not in topology bank-3site/)],
      ['steps[1].peer', expect.stringMatching(/peer "tokyo" is neither wan nor a site/)],
    ])
  })
})

describe('the catalog aims network faults at the containers a step picked', () => {
  const {topology} = loadDrill(path.join(PACKAGE_ROOT, 'drills', 'wan-degradation.yaml'))
  const wan = 'fd-bank-3site-wan'
  const observed = topology.instances.map((instance, i) => ({
    instance,
    container: {id: `c${i}`, name: instance.containerName, image: '', state: 'running' as const, health: 'healthy' as const, labels: {}, addresses: {[wan]: `10.0.0.${i + 1}`, [`fd-bank-3site-${instance.site}`]: `10.1.0.${i + 1}`}},
  }))
  const step = (extra: object) => ({kind: 'fault' as const, signal: 'SIGKILL', timeout: 10_000, process: 'postgres', revert: true, ...extra}) as never

  it('degrade to a site peer matches that site\'s WAN addresses; to the WAN, everything over the WAN device', async () => {
    const {engine, scripts} = fakeEngine((argv) => {
      if (argv[2] === DETECT_SCRIPT) return {exitCode: 10}
      if (argv[2] === 'ip -o -4 addr show') return {stdout: observed.map((o) => `9: eth1    inet ${o.container.addresses[wan]}/16 scope global eth1`).join('\n')}
      return {}
    })
    const {buildFault} = await import('../../src/faults/catalog.js')
    const net = {helpers: new NetHelpers(engine, {project: 'bank-3site', runId: 'r'}), observed}
    const busanPg = observed.filter((o) => o.instance.site === 'busan' && o.instance.service === 'postgres')
    const seoulAddresses = observed.filter((o) => o.instance.site === 'seoul').map((o) => o.container.addresses[wan])
    await buildFault(step({fault: 'degrade', target: {site: 'busan', service: 'postgres'}, peer: 'seoul', loss: 1}), busanPg, topology, engine as never, () => 0, net).inject()
    const apply = scripts.find((s) => s.startsWith('set -e'))!
    for (const a of seoulAddresses) expect(apply).toContain(`-d ${a}/32 -m statistic`)
    expect(apply).not.toContain('-o eth1')
  })

  it('partition: every container of the named sites, by its WAN address', async () => {
    const {engine, scripts} = fakeEngine()
    const {buildFault} = await import('../../src/faults/catalog.js')
    const net = {helpers: new NetHelpers(engine, {project: 'bank-3site', runId: 'r'}), observed}
    const fault = buildFault(step({fault: 'partition', groups: [['seoul'], ['busan']], direction: 'one-way'}), observed, topology, engine as never, () => 0, net)
    const injected = await fault.inject()
    expect(fault.description).toBe('partition [seoul] | [busan] (one-way: earlier groups cannot reach later ones)')
    // busan's two containers each drop seoul's two WAN addresses; nobody else gets a rule.
    const applies = scripts.filter((s) => s.startsWith('set -e'))
    expect(applies).toHaveLength(2)
    const seoul = observed.filter((o) => o.instance.site === 'seoul').map((o) => `-s ${o.container.addresses[wan]}/32 -j DROP`)
    for (const a of applies) for (const rule of seoul) expect(a).toContain(rule)
    expect(injected.detail).toMatch(/on INPUT in 2 container\(s\)/)
  })
})
