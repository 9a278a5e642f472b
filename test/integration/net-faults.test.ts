import {spawnSync} from 'node:child_process'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {loadTopology} from '../../src/config/load-topology.js'
import {DockerEngine} from '../../src/engine/docker.js'
import {LABEL} from '../../src/engine/labels.js'
import {degradeFault} from '../../src/faults/degrade.js'
import {NET_HELPER_ROLE, NetHelpers} from '../../src/faults/net-helper.js'
import {partitionFault} from '../../src/faults/partition.js'
import type {SiteMember} from '../../src/faults/net-rules.js'
import {bringUp, tearDown} from '../../src/topology/lifecycle.js'
import {networkName, type Topology} from '../../src/model/topology.js'
import {labelled, NOTHING, testProject} from '../support/docker.js'
import {tempDir} from '../support/files.js'
import {netState as netStateOf} from '../support/net.js'

/**
 * partition and degrade against real containers: three sites, one small HTTP server per site
 * (python3 from the bank-node image), traffic only between these containers.
 */
const SITES = ['seoul', 'gyeonggi', 'busan'] as const
type Site = (typeof SITES)[number]

const project = testProject()
const engine = new DockerEngine()
const tmp = tempDir()
let topology: Topology
let helpers: NetHelpers
const node: Record<Site, {id: string; name: string; wan: string}> = {} as never

beforeAll(async () => {
  const file = tmp.write(
    `${project}.yaml`,
    `name: ${project}
sites:
  seoul: {role: primary}
  gyeonggi: {role: standby}
  busan: {role: replica}
services:
  web:
    sites: [seoul, gyeonggi, busan]
    image: firedrill/bank-node:15
    command: [python3, -m, http.server, '8080', --directory, /usr/lib/postgresql/15/bin]
    stop_timeout: 1s
up_timeout: 60s
`,
  )
  topology = loadTopology(file)
  await bringUp(topology, engine)
  const wan = networkName(project, undefined)
  for (const c of await engine.listContainers([`${LABEL.project}=${project}`])) {
    node[c.labels[LABEL.site] as Site] = {id: c.id, name: c.name, wan: c.addresses[wan]!}
  }
  helpers = new NetHelpers(engine, {project, runId: 'net-faults-test'})
  await helpers.requireImage()
  // The servers take a moment to listen.
  for (const s of SITES) await until(async () => (await connectMs(s, SITES[(SITES.indexOf(s) + 1) % 3]!)) !== null)
})

afterAll(async () => {
  try {
    await tearDown(project, engine)
    expect(await labelled(project)).toEqual(NOTHING)
  } finally {
    engine.close()
    tmp.cleanup()
  }
})

async function until(check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 200))
  }
}

/** TCP connect time in ms from one site's container to another's server, or null when it does not connect within 1.5 s. */
async function connectMs(from: Site, to: Site): Promise<number | null> {
  const r = await engine.exec(node[from].id, ['curl', '-s', '-o', '/dev/null', '--connect-timeout', '1.5', '-w', '%{time_connect}', `http://${node[to].wan}:8080/`], {timeoutMs: 10_000})
  const seconds = Number(r.stdout.trim())
  return r.exitCode === 0 && seconds > 0 ? seconds * 1000 : null
}

async function medianConnectMs(from: Site, to: Site, n = 9): Promise<number> {
  const times: number[] = []
  for (let i = 0; i < n; i++) {
    const t = await connectMs(from, to)
    if (t === null) throw new Error(`${from} → ${to} did not connect`)
    times.push(t)
  }
  return times.sort((a, b) => a - b)[Math.floor(n / 2)]!
}

/** Send `count` UDP datagrams from one container to another's port 9 (nothing listens: the point is whether they leave). Returns how many sends failed. */
async function udpSendFailures(from: Site, to: Site, count: number): Promise<number> {
  const code = `import socket,errno
s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)
bad=0
for i in range(${count}):
    try: s.sendto(b'x',('${node[to].wan}',9))
    except OSError: bad+=1
print(bad)`
  const r = await engine.exec(node[from].id, ['python3', '-c', code], {timeoutMs: 30_000})
  expect(r.exitCode, r.stderr).toBe(0)
  return Number(r.stdout.trim())
}

/** Count UDP datagrams arriving at `to` from `from` over about 1.5 s while `from` sends 30. */
async function udpDelivered(from: Site, to: Site): Promise<number> {
  const receive = engine.exec(
    node[to].id,
    ['python3', '-c', `import socket,time
s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.bind(('0.0.0.0',9999)); s.settimeout(0.2)
n=0; end=time.time()+2.0
while time.time()<end:
    try:
        d,a=s.recvfrom(100)
        if a[0]=='${node[from].wan}': n+=1
    except socket.timeout: pass
print(n)`],
    {timeoutMs: 10_000},
  )
  await new Promise((r) => setTimeout(r, 300))
  await engine.exec(node[from].id, ['python3', '-c', `import socket,time
s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)
for i in range(30):
    try: s.sendto(b'x',('${node[to].wan}',9999))
    except OSError: pass
    time.sleep(0.03)`], {timeoutMs: 10_000})
  const r = await receive
  return Number(r.stdout.trim())
}

async function netState(site: Site): Promise<{iptables: string; qdisc: string}> {
  return netStateOf(engine, project, node[site])
}

/** After a revert: no chain or rule of ours, no qdisc of ours, no helper, every container on its two networks. */
async function expectClean(): Promise<void> {
  for (const s of SITES) {
    const state = await netState(s)
    expect(state.iptables, s).not.toContain('FIREDRILL')
    expect(state.iptables, s).not.toContain('NFQUEUE')
    expect(state.qdisc, s).not.toMatch(/ fd: /)
  }
  const helpersLeft = await engine.listContainers([`${LABEL.project}=${project}`, `${LABEL.role}=${NET_HELPER_ROLE}`])
  expect(helpersLeft.map((c) => c.name)).toEqual([])
  const containers = await engine.listContainers([`${LABEL.project}=${project}`])
  expect(containers).toHaveLength(3)
  for (const c of containers) expect(Object.keys(c.addresses).sort()).toEqual([networkName(project, c.labels[LABEL.site]), networkName(project, undefined)].sort())
}

function members(): SiteMember[] {
  return SITES.map((s) => ({site: s, containerId: node[s].id, containerName: node[s].name, address: node[s].wan}))
}

describe('degrade on the real engine', () => {
  it('detects the mechanism this kernel offers: netem exactly when the kernel accepts a netem qdisc', async () => {
    // The oracle, independent of the helper image: the host kernel itself, asked in a throwaway network
    // namespace with nothing but loopback (containers share the host's kernel).
    const probe = spawnSync('unshare', ['-n', 'tc', 'qdisc', 'add', 'dev', 'lo', 'root', 'netem', 'delay', '1ms'], {encoding: 'utf8'})
    if (probe.error) throw new Error(`the test needs unshare and tc on the host (util-linux, iproute2): ${probe.error.message}`)
    const kernelHasNetem = probe.status === 0
    if (!kernelHasNetem) expect(probe.stderr).toMatch(/qdisc kind is unknown/)
    const mechanism = await helpers.mechanism()
    console.log(`degrade mechanism on this kernel: ${mechanism} (host netem: ${kernelHasNetem ? 'yes' : `no: ${probe.stderr.trim()}`})`)
    expect(mechanism).toBe(kernelHasNetem ? 'netem' : 'nfqueue')
  })

  it('busan ↔ WAN at 200 ms: connects to and from busan take 200 ms longer, others do not; revert restores it and leaves nothing', async () => {
    const before = {toBusan: await medianConnectMs('seoul', 'busan'), fromBusan: await medianConnectMs('busan', 'gyeonggi'), other: await medianConnectMs('seoul', 'gyeonggi')}
    const notes: string[] = []
    const fault = degradeFault(helpers, {latencyMs: 200}, 'wan', [{id: node.busan.id, name: node.busan.name, site: 'busan', wanAddress: node.busan.wan, peers: 'all'}], NetHelpers.newTag(), (t) => notes.push(t))
    const injected = await fault.inject()
    let reverted = false
    try {
      expect(injected.mechanism).toBeDefined()
      expect(injected.detail).toMatch(/^mechanism (netem|nfqueue)/)
      const during = {toBusan: await medianConnectMs('seoul', 'busan'), fromBusan: await medianConnectMs('busan', 'gyeonggi'), other: await medianConnectMs('seoul', 'gyeonggi')}
      const added = {toBusan: during.toBusan - before.toBusan, fromBusan: during.fromBusan - before.fromBusan, other: during.other - before.other}
      console.log(`degrade latency 200 ms: connect before ${JSON.stringify(before)} during ${JSON.stringify(during)} added ${JSON.stringify(added)} (ms)`)
      expect(added.toBusan).toBeGreaterThan(195)
      expect(added.toBusan).toBeLessThan(215)
      expect(added.fromBusan).toBeGreaterThan(195)
      expect(added.fromBusan).toBeLessThan(215)
      expect(Math.abs(added.other)).toBeLessThan(15)
      const state = await netState('busan')
      expect(state.iptables).toMatch(/-A OUTPUT -j FIREDRILL-[0-9a-f]{6}/)
      expect(state.iptables).toContain('--queue-bypass')
      await injected.revert!.run()
      reverted = true
      // The delayer's own account: every packet held 200 ms, to within a few ms.
      console.log(`delayer: ${notes.join('; ')}`)
      const held = /(\d+) packets delayed, held min ([\d.]+) \/ mean ([\d.]+) \/ max ([\d.]+) ms/.exec(notes.join('\n'))
      expect(held, notes.join('\n')).not.toBeNull()
      expect(Number(held![1])).toBeGreaterThan(50)
      expect(Number(held![2])).toBeGreaterThanOrEqual(199.9)
      expect(Number(held![3])).toBeLessThan(203)
      await expectClean()
      expect(await medianConnectMs('seoul', 'busan')).toBeLessThan(before.toBusan + 15)
    } finally {
      if (!reverted) await injected.revert!.run()
    }
  })

  it('busan ↔ seoul only: 100 ms ± 20 ms, 5 % loss, 20 mbit; gyeonggi untouched; the delayer dying lets traffic through (queue bypass)', async () => {
    const fault = degradeFault(
      helpers,
      {latencyMs: 100, jitterMs: 20, lossPercent: 5, rate: '20mbit'},
      'seoul',
      [{id: node.busan.id, name: node.busan.name, site: 'busan', wanAddress: node.busan.wan, peers: [node.seoul.wan]}],
      NetHelpers.newTag(),
    )
    const baseline = await medianConnectMs('seoul', 'busan')
    const injected = await fault.inject()
    let reverted = false
    try {
      // Jitter: every connect within 100 ± 20 ms of the baseline (a dropped SYN-ACK shows as a retransmit, ≥ 1 s: skipped).
      const times: number[] = []
      for (let i = 0; i < 20; i++) {
        const t = await connectMs('seoul', 'busan')
        if (t !== null && t < 900) times.push(t - baseline)
      }
      console.log(`degrade 100 ± 20 ms: added connect times ${times.map((t) => t.toFixed(1)).join(' ')}`)
      expect(times.length).toBeGreaterThan(15)
      // Never released early; late only by scheduling (two busy cores): the middle 80 % inside the band.
      for (const t of times) expect(t).toBeGreaterThan(78)
      const sorted = [...times].sort((a, b) => a - b)
      const middle = sorted.slice(Math.floor(sorted.length * 0.1), Math.ceil(sorted.length * 0.9))
      for (const t of middle) expect(t).toBeLessThan(125)
      expect(sorted.at(-1)! - sorted[0]!).toBeGreaterThan(10)
      expect(Math.abs((await medianConnectMs('busan', 'gyeonggi')) - (await medianConnectMs('seoul', 'gyeonggi')))).toBeLessThan(15)

      // Loss: the share of datagrams to seoul that never leave busan.
      const sent = 4000
      const failed = await udpSendFailures('busan', 'seoul', sent)
      console.log(`degrade loss 5 %: ${failed} of ${sent} datagrams dropped (${((100 * failed) / sent).toFixed(2)} %)`)
      expect(failed / sent).toBeGreaterThan(0.035)
      expect(failed / sent).toBeLessThan(0.065)
      expect(await udpSendFailures('busan', 'gyeonggi', 1000)).toBe(0)

      const state = await netState('busan')
      expect(state.qdisc).toMatch(/qdisc htb fd: .*root/)
      // The delayer dies: --queue-bypass lets packets through undelayed.
      const helper = (await engine.listContainers([`${LABEL.project}=${project}`, `${LABEL.role}=${NET_HELPER_ROLE}`]))[0]!
      await engine.killContainer(helper.id, 'SIGKILL')
      // (The 5 % loss rule stays: a connect can still wait for a retransmit, so look at the median.)
      expect(await medianConnectMs('seoul', 'busan', 7)).toBeLessThan(baseline + 30)
      // The revert still reaches the namespace through a fresh helper.
      await injected.revert!.run()
      reverted = true
      await expectClean()
    } finally {
      if (!reverted) await injected.revert!.run()
    }
  })

  it('busan ↔ seoul at 20 mbit (rate alone, htb): seoul downloads from busan at about 20 mbit/s, gyeonggi at full speed', async () => {
    const download = async (site: Site) => {
      const r = await engine.exec(node[site].id, ['curl', '-s', '-o', '/dev/null', '--max-time', '30', '-w', '%{speed_download} %{size_download}', `http://${node.busan.wan}:8080/postgres`], {timeoutMs: 40_000})
      const [speed, size] = r.stdout.trim().split(' ').map(Number)
      expect(size).toBe(8_945_320)
      return (speed! * 8) / 1e6
    }
    const injected = await degradeFault(helpers, {rate: '20mbit'}, 'seoul', [{id: node.busan.id, name: node.busan.name, site: 'busan', wanAddress: node.busan.wan, peers: [node.seoul.wan]}], NetHelpers.newTag()).inject()
    let reverted = false
    try {
      const shaped = await download('seoul')
      const free = await download('gyeonggi')
      console.log(`degrade rate 20mbit: seoul downloads from busan at ${shaped.toFixed(2)} mbit/s, gyeonggi at ${free.toFixed(0)} mbit/s`)
      expect(shaped).toBeGreaterThan(15)
      expect(shaped).toBeLessThan(21)
      expect(free).toBeGreaterThan(100)
      await injected.revert!.run()
      reverted = true
      await expectClean()
    } finally {
      if (!reverted) await injected.revert!.run()
    }
  })
})

describe('partition on the real engine', () => {
  it('[seoul] | [gyeonggi, busan]: seoul is cut off both ways, gyeonggi and busan still talk; revert restores and leaves nothing', async () => {
    const injected = await partitionFault(helpers, [['seoul'], ['gyeonggi', 'busan']], 'both', members(), NetHelpers.newTag()).inject()
    let reverted = false
    try {
      expect(await connectMs('seoul', 'gyeonggi')).toBeNull()
      expect(await connectMs('seoul', 'busan')).toBeNull()
      expect(await connectMs('gyeonggi', 'seoul')).toBeNull()
      expect(await connectMs('busan', 'seoul')).toBeNull()
      expect(await connectMs('gyeonggi', 'busan')).not.toBeNull()
      expect(await connectMs('busan', 'gyeonggi')).not.toBeNull()
      await injected.revert!.run()
      reverted = true
      await expectClean()
      expect(await connectMs('seoul', 'gyeonggi')).not.toBeNull()
      expect(await connectMs('busan', 'seoul')).not.toBeNull()
    } finally {
      if (!reverted) await injected.revert!.run()
    }
  })

  it('one-way [seoul] → [busan]: seoul\'s datagrams never reach busan, busan\'s reach seoul', async () => {
    const injected = await partitionFault(helpers, [['seoul'], ['busan']], 'one-way', members(), NetHelpers.newTag()).inject()
    let reverted = false
    try {
      expect(await udpDelivered('seoul', 'busan')).toBe(0)
      expect(await udpDelivered('busan', 'seoul')).toBeGreaterThan(25)
      expect(await udpDelivered('gyeonggi', 'busan')).toBeGreaterThan(25)
      // TCP needs both directions: no connection either way.
      expect(await connectMs('seoul', 'busan')).toBeNull()
      expect(await connectMs('seoul', 'gyeonggi')).not.toBeNull()
      await injected.revert!.run()
      reverted = true
      await expectClean()
      expect(await udpDelivered('seoul', 'busan')).toBeGreaterThan(25)
    } finally {
      if (!reverted) await injected.revert!.run()
    }
  })

  it('overlapping [seoul, gyeonggi] | [gyeonggi, busan], with a second partition on top: each heals on its own', async () => {
    const first = await partitionFault(helpers, [['seoul', 'gyeonggi'], ['gyeonggi', 'busan']], 'both', members(), NetHelpers.newTag()).inject()
    const second = await partitionFault(helpers, [['gyeonggi'], ['busan']], 'both', members(), NetHelpers.newTag()).inject()
    const pending = [second, first]
    try {
      expect(await connectMs('seoul', 'busan')).toBeNull()
      expect(await connectMs('gyeonggi', 'busan')).toBeNull()
      expect(await connectMs('seoul', 'gyeonggi')).not.toBeNull()
      await pending.shift()!.revert!.run()
      expect(await connectMs('gyeonggi', 'busan')).not.toBeNull()
      expect(await connectMs('busan', 'gyeonggi')).not.toBeNull()
      expect(await connectMs('seoul', 'busan')).toBeNull()
      await pending.shift()!.revert!.run()
      await expectClean()
      expect(await connectMs('seoul', 'busan')).not.toBeNull()
    } finally {
      for (const p of pending) await p.revert!.run()
    }
  })
})

describe('crash recovery on the real engine', () => {
  it('faults a killed run left in place (helpers, chains, a qdisc) are healed by the next run from the helpers\' labels', async () => {
    const crashed = new NetHelpers(engine, {project, runId: 'crashed-run'})
    await degradeFault(crashed, {latencyMs: 50, rate: '50mbit'}, 'wan', [{id: node.busan.id, name: node.busan.name, site: 'busan', wanAddress: node.busan.wan, peers: 'all'}], NetHelpers.newTag()).inject()
    await partitionFault(crashed, [['seoul'], ['gyeonggi']], 'both', members(), NetHelpers.newTag()).inject()
    // The run dies here: nothing reverted.
    expect(await connectMs('seoul', 'gyeonggi')).toBeNull()
    expect((await netState('busan')).qdisc).toMatch(/ fd: /)
    const healed = await new NetHelpers(engine, {project, runId: 'next-run'}).healLeftovers()
    console.log(`crash recovery: ${healed.join('; ')}`)
    expect(healed).toHaveLength(3)
    for (const line of healed) expect(line).toMatch(/^removed FIREDRILL-/)
    await expectClean()
    expect(await connectMs('seoul', 'gyeonggi')).not.toBeNull()
  })
})
