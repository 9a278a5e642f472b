import net from 'node:net'
import {performance} from 'node:perf_hooks'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {loadTopology} from '../../src/config/load-topology.js'
import {DockerEngine} from '../../src/engine/docker.js'
import {LABEL} from '../../src/engine/labels.js'
import {bringUp, tearDown, waitHealthy} from '../../src/topology/lifecycle.js'
import {networkName, type Topology} from '../../src/model/topology.js'
import {labelled, NOTHING, testProject} from '../support/docker.js'
import {fixtureTopologyAs, tempDir} from '../support/files.js'

/**
 * fixtures/topologies/messenger-3dc behaves as its README says, on the real engine: healthy after up;
 * a write through the gateway reads back; killing the Redis master makes Sentinel promote gasan's
 * replica and the API serve writes again; cutting pangyo's power leaves the API answering 503 (auth
 * runs only in pangyo) although gasan's and busan's API containers run; on topology-redundant.yaml
 * the same cut leaves the API serving. Every fault is reverted and the topology is healthy again.
 * The figures measured are printed (README.md of the topology quotes them).
 */
const SESSION = {Authorization: 'Bearer firedrill-demo-session'}
const engine = new DockerEngine()
const tmp = tempDir()

afterAll(() => {
  engine.close()
  tmp.cleanup()
})

async function freePort(): Promise<number> {
  const server = net.createServer()
  await new Promise<void>((resolve) => server.listen({host: '127.0.0.1', port: 0}, resolve))
  const {port} = server.address() as net.AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return port
}

interface Answer {
  status: number | 'error'
  servedBy?: string
  body: string
}

async function call(port: number, method: 'GET' | 'POST', path: string, body?: unknown, headers: Record<string, string> = SESSION): Promise<Answer> {
  try {
    const r = await fetch(`http://127.0.0.1:${port}${path}`, {
      method,
      headers: {...headers, ...(body === undefined ? {} : {'Content-Type': 'application/json'})},
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(2000),
    })
    return {status: r.status, servedBy: r.headers.get('x-served-by') ?? undefined, body: await r.text()}
  } catch (error) {
    return {status: 'error', body: String(error)}
  }
}

interface Sample extends Answer {
  seq: number
  start: number
  end: number
}

/** Writes one message every 100 ms through the gateway until stopped, as a client would. */
function writeLoop(port: number, run: string): {samples: Sample[]; stop: () => Promise<void>} {
  const samples: Sample[] = []
  let running = true
  const done = (async () => {
    for (let seq = 1; running; seq++) {
      const start = performance.now()
      const answer = await call(port, 'POST', '/messages', {run, seq, text: `message ${seq}`})
      samples.push({...answer, seq, start, end: performance.now()})
      await new Promise((r) => setTimeout(r, Math.max(0, 100 - (performance.now() - start))))
    }
  })()
  return {
    samples,
    stop: async () => {
      running = false
      await done
    },
  }
}

/** The start of the first of 3 successive acknowledged writes after the first one that failed, or undefined. */
function recoveredAt(samples: Sample[], after: number): number | undefined {
  const from = samples.findIndex((s) => s.end >= after && s.status !== 201)
  if (from < 0) return undefined
  for (let i = from; i + 2 < samples.length; i++) {
    if ([0, 1, 2].every((k) => samples[i + k]!.status === 201)) return samples[i]!.start
  }
  return undefined
}

async function until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs: number, intervalMs = 200): Promise<T> {
  const deadline = performance.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value !== undefined) return value
    if (performance.now() > deadline) throw new Error(`${what}: not within ${timeoutMs / 1000} s`)
    await new Promise((r) => setTimeout(r, intervalMs))
  }
}

/** One messenger topology, up for a describe block; its containers found by service and site. */
function messenger(relative: string, gatewayHostPort: number) {
  const project = testProject()
  const state = {} as {topology: Topology; port: number}
  const container = async (service: string, site: string) => {
    const [c] = await engine.listContainers([`${LABEL.project}=${project}`, `${LABEL.service}=${service}`, `${LABEL.site}=${site}`])
    if (!c) throw new Error(`no ${service} on ${site}`)
    return c
  }
  const redisCli = async (service: 'redis' | 'sentinel', site: string, args: string[]) => {
    const c = await container(service, site)
    const r = await engine.exec(c.id, ['redis-cli', '-p', service === 'redis' ? '6379' : '26379', '--raw', ...args], {timeoutMs: 5000})
    expect(r.exitCode, r.stderr).toBe(0)
    return r.stdout.trim()
  }
  /** The master's WAN address as the Sentinel of `site` names it. */
  const masterPerSentinel = async (site: string) => (await redisCli('sentinel', site, ['sentinel', 'get-master-addr-by-name', 'messenger'])).split('\n')[0]
  const wanAddress = async (service: string, site: string) => (await container(service, site)).addresses[networkName(project, undefined)]
  /** Sites whose Redis answers ROLE as master. */
  const masters = async () => {
    const sites: string[] = []
    for (const site of ['pangyo', 'gasan', 'busan']) if ((await redisCli('redis', site, ['role'])).split('\n')[0] === 'master') sites.push(site)
    return sites
  }
  const siteContainers = async (site: string) => engine.listContainers([`${LABEL.project}=${project}`, `${LABEL.site}=${site}`])

  beforeAll(async () => {
    const port = await freePort()
    const file = tmp.write(`${project}.yaml`, fixtureTopologyAs(relative, project, {[gatewayHostPort]: port}))
    state.topology = loadTopology(file)
    state.port = port
    const up = await bringUp(state.topology, engine)
    console.log(`${relative}: up and healthy in ${(up.duration_ms / 1000).toFixed(1)} s`)
  })
  afterAll(async () => {
    await tearDown(project, engine)
    expect(await labelled(project)).toEqual(NOTHING)
  })
  return {project, state, container, redisCli, masterPerSentinel, wanAddress, masters, siteContainers}
}

/** Cut a site's power as the power-cut fault does: every container of the site killed at once. Returns the revert. */
async function powerCut(containers: {id: string}[]): Promise<() => Promise<void>> {
  await Promise.all(containers.map((c) => engine.killContainer(c.id, 'SIGKILL')))
  return async () => {
    await Promise.all(containers.map((c) => engine.startContainer(c.id)))
  }
}

describe('messenger-3dc (auth only in pangyo)', () => {
  const m = messenger('fixtures/topologies/messenger-3dc/topology.yaml', 18_480)

  it('comes up with pangyo master and 2 replicas; a write through the gateway reads back; sessions are checked', async () => {
    const {port} = m.state
    expect(await m.masters()).toEqual(['pangyo'])
    for (const site of ['pangyo', 'gasan', 'busan']) expect(await m.masterPerSentinel(site)).toBe(await m.wanAddress('redis', 'pangyo'))
    // busan is a copy: never promoted by Sentinel.
    expect(await m.redisCli('redis', 'busan', ['config', 'get', 'replica-priority'])).toBe('replica-priority\n0')

    const health = await call(port, 'GET', '/health')
    expect(health, health.body).toMatchObject({status: 200, servedBy: 'api-pangyo'})
    const written = await call(port, 'POST', '/messages', {run: 'smoke', seq: 7, text: 'hello'})
    expect(written.status, written.body).toBe(201)
    expect(JSON.parse(written.body)).toMatchObject({id: 'smoke-7', run: 'smoke', seq: 7, text: 'hello', site: 'pangyo'})
    const read = await call(port, 'GET', '/messages/smoke-7')
    expect(read.status).toBe(200)
    expect(JSON.parse(read.body)).toMatchObject({id: 'smoke-7', text: 'hello'})
    expect((await call(port, 'GET', '/messages/smoke-8')).status).toBe(404)
    expect(JSON.parse((await call(port, 'GET', '/messages?run=smoke')).body)).toMatchObject({run: 'smoke', seqs: [7]})
    // The write reached the replicas (asynchronously: give it a moment).
    await until('busan has smoke-7', async () => ((await m.redisCli('redis', 'busan', ['exists', 'msg:smoke-7'])) === '1' ? true : undefined), 5000)
    // Honest errors: no session, a bad session, a bad body.
    expect((await call(port, 'GET', '/messages/smoke-7', undefined, {})).status).toBe(401)
    expect((await call(port, 'POST', '/messages', {run: 'smoke', seq: 8}, {Authorization: 'Bearer wrong'})).status).toBe(401)
    expect((await call(port, 'POST', '/messages', {run: 'smoke', seq: -1})).status).toBe(400)
    expect((await call(port, 'POST', '/messages', {run: 'a b', seq: 1})).status).toBe(400)
  })

  it('kill the Redis master: Sentinel promotes gasan, the API serves writes again; revert: the old master rejoins as a replica', async () => {
    const {port, topology} = m.state
    const gasan = await m.wanAddress('redis', 'gasan')
    const loop = writeLoop(port, 'kill-master')
    await new Promise((r) => setTimeout(r, 1500))
    const victim = await m.container('redis', 'pangyo')
    const tFault = performance.now()
    await engine.killContainer(victim.id, 'SIGKILL')
    const promoted = await until('Sentinel names gasan master', async () => ((await m.masterPerSentinel('busan')) === gasan ? performance.now() : undefined), 30_000, 100)
    const served = await until('writes acknowledged again', async () => recoveredAt(loop.samples, tFault), 30_000)
    await new Promise((r) => setTimeout(r, 1000))
    await loop.stop()
    const promotedS = (promoted - tFault) / 1000
    const servedS = (served - tFault) / 1000
    console.log(`kill redis master: Sentinel named gasan after ${promotedS.toFixed(2)} s (± 0.1 s + one exec); writes acknowledged again after ${servedS.toFixed(2)} s (± 0.1 s)`)
    expect(promotedS).toBeLessThan(15)
    expect(servedS).toBeLessThan(20)
    // While no master answered, the API said so: 503 (not stored) or 504 (unknown), never 2xx without the write.
    const failed = loop.samples.filter((s) => s.status !== 201)
    expect(failed.length).toBeGreaterThan(0)
    for (const s of failed) expect([503, 504, 'error']).toContain(s.status)
    // Every write acknowledged after the failover is on the new master; writes acknowledged before it
    // may be lost (asynchronous replication): count them.
    const acked = loop.samples.filter((s) => s.status === 201)
    const stored = new Set<number>(JSON.parse((await call(port, 'GET', '/messages?run=kill-master')).body).seqs)
    const lost = acked.filter((s) => !stored.has(s.seq))
    expect(lost.every((s) => s.end < promoted)).toBe(true)
    console.log(`kill redis master: ${acked.length} writes acknowledged, ${lost.length} of them lost`)

    await engine.startContainer(victim.id)
    await until('the old master follows gasan', async () => {
      const info = await m.redisCli('redis', 'pangyo', ['info', 'replication'])
      return info.includes(`master_host:${gasan}`) && info.includes('master_link_status:up') ? true : undefined
    }, 60_000, 500)
    await waitHealthy(topology, engine, {timeoutMs: 90_000})
    expect(await m.masters()).toEqual(['gasan'])
  })

  it('a switchover back to pangyo is one argv (SENTINEL FAILOVER, as a runbook step would run it)', async () => {
    const pangyo = await m.wanAddress('redis', 'pangyo')
    expect(await m.redisCli('sentinel', 'gasan', ['sentinel', 'failover', 'messenger'])).toBe('OK')
    await until('pangyo is master again', async () => ((await m.masterPerSentinel('busan')) === pangyo && (await m.masters()).join() === 'pangyo' ? true : undefined), 30_000, 500)
    await until('gasan follows pangyo', async () => ((await m.redisCli('redis', 'gasan', ['info', 'replication'])).includes('master_link_status:up') ? true : undefined), 30_000, 500)
  })

  it("cut pangyo's power: Redis fails over, yet the API through the gateway answers 503 (auth unreachable) while gasan's and busan's APIs run; revert heals", async () => {
    const {port, topology} = m.state
    const gasan = await m.wanAddress('redis', 'gasan')
    const victims = await m.siteContainers('pangyo')
    expect(victims.map((c) => c.labels[LABEL.service]).sort()).toEqual(['api', 'auth', 'redis', 'sentinel'])
    const loop = writeLoop(port, 'power-cut')
    await new Promise((r) => setTimeout(r, 1500))
    const tFault = performance.now()
    const revert = await powerCut(victims)
    try {
      const promoted = await until('Sentinel names gasan master', async () => ((await m.masterPerSentinel('busan')) === gasan ? performance.now() : undefined), 30_000, 100)
      const gatewayMoved = await until('the gateway sends to gasan', async () => loop.samples.find((s) => s.start > tFault && s.servedBy === 'api-gasan')?.start, 30_000)
      // Redis has a master again; keep writing 5 s more: nothing is acknowledged.
      await new Promise((r) => setTimeout(r, 5000))
      await loop.stop()
      console.log(`power cut pangyo (flawed): Sentinel named gasan after ${((promoted - tFault) / 1000).toFixed(2)} s; the gateway sent to api-gasan after ${((gatewayMoved - tFault) / 1000).toFixed(2)} s; writes acknowledged since: none`)
      const after = loop.samples.filter((s) => s.start > gatewayMoved)
      expect(after.length).toBeGreaterThan(20)
      expect(after.filter((s) => s.status === 201)).toEqual([])
      for (const s of after) {
        expect(s.status, s.body).toBe(503)
        expect(s.servedBy).toBe('api-gasan')
        expect(JSON.parse(s.body).error).toMatch(/^auth unavailable: http:\/\/auth-pangyo:8081/)
      }
      const health = await call(port, 'GET', '/health')
      expect(health.status).toBe(503)
      expect(JSON.parse(health.body).problems).toEqual([expect.stringMatching(/^auth unavailable/)])
      for (const site of ['gasan', 'busan']) expect((await m.container('api', site)).state).toBe('running')
    } finally {
      await loop.stop()
      await revert()
    }
    await waitHealthy(topology, engine, {timeoutMs: 90_000})
    expect(await m.masters()).toEqual(['gasan'])
    const again = await call(port, 'POST', '/messages', {run: 'power-cut', seq: 1_000_000})
    expect(again.status, again.body).toBe(201)
  })
})

describe('messenger-3dc redundant (auth on every site)', () => {
  const m = messenger('fixtures/topologies/messenger-3dc/topology-redundant.yaml', 18_481)

  it("cut pangyo's power: the gateway moves to gasan's API, which checks sessions with gasan's auth and writes to the promoted gasan; revert heals", async () => {
    const {port, topology} = m.state
    const gasan = await m.wanAddress('redis', 'gasan')
    expect(await m.masters()).toEqual(['pangyo'])
    const loop = writeLoop(port, 'power-cut')
    await new Promise((r) => setTimeout(r, 1500))
    const victims = await m.siteContainers('pangyo')
    expect(victims.map((c) => c.labels[LABEL.service]).sort()).toEqual(['api', 'auth', 'redis', 'sentinel'])
    const tFault = performance.now()
    const revert = await powerCut(victims)
    try {
      const promoted = await until('Sentinel names gasan master', async () => ((await m.masterPerSentinel('busan')) === gasan ? performance.now() : undefined), 30_000, 100)
      const served = await until('writes acknowledged again', async () => recoveredAt(loop.samples, tFault), 30_000)
      await new Promise((r) => setTimeout(r, 1000))
      await loop.stop()
      const promotedS = (promoted - tFault) / 1000
      const servedS = (served - tFault) / 1000
      console.log(`power cut pangyo (redundant): Sentinel named gasan after ${promotedS.toFixed(2)} s; writes acknowledged again after ${servedS.toFixed(2)} s`)
      expect(servedS).toBeLessThan(20)
      const recovered = loop.samples.filter((s) => s.start >= served)
      expect(recovered.length).toBeGreaterThan(5)
      for (const s of recovered) expect({status: s.status, servedBy: s.servedBy}).toEqual({status: 201, servedBy: 'api-gasan'})
      const stored = new Set<number>(JSON.parse((await call(port, 'GET', '/messages?run=power-cut')).body).seqs)
      const acked = loop.samples.filter((s) => s.status === 201)
      expect(recovered.every((s) => stored.has(s.seq))).toBe(true)
      console.log(`power cut pangyo (redundant): ${acked.length} writes acknowledged, ${acked.filter((s) => !stored.has(s.seq)).length} of them lost`)
    } finally {
      await loop.stop()
      await revert()
    }
    await waitHealthy(topology, engine, {timeoutMs: 90_000})
    expect(await m.masters()).toEqual(['gasan'])
  })
})
