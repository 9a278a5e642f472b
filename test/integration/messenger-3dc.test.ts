import {readFileSync} from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import {performance} from 'node:perf_hooks'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {loadTopology} from '../../src/config/load-topology.js'
import {DockerEngine} from '../../src/engine/docker.js'
import {LABEL} from '../../src/engine/labels.js'
import {isolateFault} from '../../src/faults/isolate.js'
import {bringUp, tearDown, waitHealthy} from '../../src/topology/lifecycle.js'
import {networkName, type Topology} from '../../src/model/topology.js'
import {firedrill} from '../support/cli.js'
import {labelled, NOTHING, testProject} from '../support/docker.js'
import {fixtureTopologyAs, tempDir} from '../support/files.js'

/**
 * fixtures/topologies/messenger-3dc behaves as its README says, on the real engine: healthy after up;
 * a write through the gateway reads back; killing the Redis master makes Sentinel promote gasan's
 * replica and the API serve writes again; cutting pangyo's power leaves the API answering 503 (auth
 * runs only in pangyo) although gasan's and busan's API containers run; isolating the master's site
 * makes Sentinel promote another and, reconnected with new addresses, the isolated nodes announce them
 * and the old master follows the new one; on topology-redundant.yaml the pangyo cut leaves the API
 * serving. Every fault is reverted and the topology is healthy again.
 * Then the shipped drills of drills/messenger/, unchanged, as a user runs them (`firedrill run FILE
 * --topology` on the topology already up): on topology.yaml the Redis master kill and gasan isolation
 * pass and the pangyo power cut fails on the API's RTO, its table, Markdown, HTML and timeline saying
 * why (auth unavailable); on topology-redundant.yaml the power cut passes.
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

/** Poll until check gives a value; a check that throws (a container still starting) counts as not yet. */
async function until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs: number, intervalMs = 200): Promise<T> {
  const deadline = performance.now() + timeoutMs
  let lastError: unknown
  for (;;) {
    try {
      const value = await check()
      if (value !== undefined) return value
    } catch (error) {
      lastError = error
    }
    if (performance.now() > deadline) throw new Error(`${what}: not within ${timeoutMs / 1000} s${lastError ? ` (last error: ${String(lastError)})` : ''}`)
    await new Promise((r) => setTimeout(r, intervalMs))
  }
}

/** One messenger topology, up for a describe block; its containers found by service and site. */
function messenger(relative: string, gatewayHostPort: number) {
  const project = testProject()
  const state = {} as {topology: Topology; port: number; file: string}
  const container = async (service: string, site: string) => {
    const [c] = await engine.listContainers([`${LABEL.project}=${project}`, `${LABEL.service}=${service}`, `${LABEL.site}=${site}`])
    if (!c) throw new Error(`no ${service} on ${site}`)
    return c
  }
  const redisCli = async (service: 'redis' | 'sentinel', site: string, args: string[]) => {
    const c = await container(service, site)
    const r = await engine.exec(c.id, ['redis-cli', '-p', service === 'redis' ? '6379' : '26379', '--raw', ...args], {timeoutMs: 5000})
    if (r.exitCode !== 0) throw new Error(`redis-cli ${args.join(' ')} in ${c.name}: exit ${r.exitCode}: ${r.stderr.trim()}`)
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
    state.file = file
    const up = await bringUp(state.topology, engine)
    console.log(`${relative}: up and healthy in ${(up.duration_ms / 1000).toFixed(1)} s`)
  })
  afterAll(async () => {
    await tearDown(project, engine)
    expect(await labelled(project)).toEqual(NOTHING)
  })
  return {project, state, container, redisCli, masterPerSentinel, wanAddress, masters, siteContainers}
}

const SHIPPED = (name: string) => path.join('drills', 'messenger', `${name}.yaml`)

interface RunJson {
  drill: string
  verdict: string
  status: string
  results: {objective: string; met: boolean; measured: string; reason: string}[]
  probes: {name: string; verdict: string; measurements: {rto_ms: number | null; rpo_ms: number | null; lost_writes: number | null}}[]
  reverts: {ok: boolean}[]
  timeline: {kind: string; detail: string}[]
  evidence: {dir: string}
}

/** The shipped messenger drills, unchanged, run as a user runs them against a topology already up (left up): one JSON object per drill. */
async function runShipped(names: string[], topologyFile: string, home: string): Promise<{exitCode: number | undefined; results: RunJson[]; table: string}> {
  const r = await firedrill(['run', ...names.map(SHIPPED), '--topology', topologyFile, '--ci', '--reporter', 'json,table,markdown,html'], {timeout: 900_000, env: {FIREDRILL_HOME: home}})
  let results: RunJson[]
  try {
    results = r.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as RunJson)
  } catch {
    throw new Error(`run printed something that is not one JSON object per line (exit ${r.exitCode}):\n${r.stdout.slice(0, 3000)}\n--- stderr:\n${r.stderr.slice(-4000)}`)
  }
  expect(results.map((x) => x.drill), r.stderr.slice(-4000)).toEqual(names.map((n) => `messenger-${n}`))
  for (const x of results) {
    expect(x.status, `${x.drill}: ${JSON.stringify(x.results)}`).toBe('completed')
    expect(x.reverts.every((o) => o.ok), `${x.drill}: ${JSON.stringify(x.reverts)}`).toBe(true)
    const figures = x.probes.map((p) => `${p.name} ${p.verdict} RTO ${p.measurements.rto_ms} ms, RPO ${p.measurements.rpo_ms} ms, ${p.measurements.lost_writes} lost`).join('; ')
    console.log(`shipped drill ${x.drill}: ${x.verdict}: ${figures}`)
  }
  return {exitCode: r.exitCode, results, table: r.stderr}
}

const failed = (x: RunJson) => x.results.filter((o) => !o.met).map((o) => o.objective)

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

  it("isolate gasan (the master now) from the WAN: Sentinel promotes pangyo; reconnected, gasan's nodes announce their new WAN addresses and its Redis follows pangyo", async () => {
    const {port, topology} = m.state
    const wan = networkName(m.project, undefined)
    expect(await m.masters()).toEqual(['gasan'])
    const pangyo = await m.wanAddress('redis', 'pangyo')
    const before = {redis: await m.wanAddress('redis', 'gasan'), sentinel: await m.wanAddress('sentinel', 'gasan')}
    const targets = (await m.siteContainers('gasan')).map((c) => ({id: c.id, name: c.name, aliases: [`${c.labels[LABEL.service]}-gasan`]}))
    const loop = writeLoop(port, 'isolate')
    await new Promise((r) => setTimeout(r, 1500))
    const tFault = performance.now()
    const {revert} = await isolateFault(engine, 'gasan', wan, targets).inject()
    if (!revert) throw new Error('isolate returned no revert')
    try {
      const promoted = await until('Sentinel names pangyo master', async () => ((await m.masterPerSentinel('busan')) === pangyo ? performance.now() : undefined), 30_000, 100)
      const served = await until('writes acknowledged again', async () => recoveredAt(loop.samples, tFault), 30_000)
      await loop.stop()
      console.log(`isolate gasan (master): Sentinel named pangyo after ${((promoted - tFault) / 1000).toFixed(2)} s; writes acknowledged again after ${((served - tFault) / 1000).toFixed(2)} s`)
    } finally {
      await loop.stop()
      await revert.run()
    }
    const after = {redis: await m.wanAddress('redis', 'gasan'), sentinel: await m.wanAddress('sentinel', 'gasan')}
    console.log(`isolate gasan: WAN addresses before ${JSON.stringify(before)}, after reconnecting ${JSON.stringify(after)}`)
    await until('gasan follows pangyo', async () => {
      const info = await m.redisCli('redis', 'gasan', ['info', 'replication'])
      return info.includes(`master_host:${pangyo}`) && info.includes('master_link_status:up') ? true : undefined
    }, 60_000, 500)
    // The Sentinels reach gasan's nodes at their addresses now: neither is down in busan's Sentinel's view.
    await until("busan's Sentinel sees gasan's replica and Sentinel up at their new addresses", async () => {
      const replicas = await m.redisCli('sentinel', 'busan', ['sentinel', 'replicas', 'messenger'])
      const sentinels = await m.redisCli('sentinel', 'busan', ['sentinel', 'sentinels', 'messenger'])
      const up = (listing: string, ip: string) => {
        const lines = listing.split('\n')
        for (let i = 0; i < lines.length; i++) if (lines[i] === 'ip' && lines[i + 1] === ip) return !/s_down|disconnected/.test(lines.slice(i, i + 12).join(' '))
        return false
      }
      return up(replicas, after.redis!) && up(sentinels, after.sentinel!) ? true : undefined
    }, 60_000, 1000)
    await waitHealthy(topology, engine, {timeoutMs: 90_000})
    expect(await m.masters()).toEqual(['pangyo'])
    const again = await call(port, 'POST', '/messages', {run: 'isolate', seq: 1_000_000})
    expect(again.status, again.body).toBe(201)
  })

  it('the shipped drills, unchanged: the Redis master kill and gasan isolation pass; the pangyo power cut FAILs on the API RTO and every output says why (auth)', async () => {
    const home = path.join(tmp.dir, 'home-flawed')
    const started = performance.now()
    // The isolation last: a pangyo power cut run right after gasan was isolated and healed once found no
    // failover (Redis never recovered, seen once after the merge of main; see the report of this branch).
    const run = await runShipped(['redis-master-kill', 'pangyo-power-cut', 'gasan-isolation'], m.state.file, home)
    console.log(`shipped drills on messenger-3dc: ${((performance.now() - started) / 1000).toFixed(1)} s`)
    const [kill, cut, isolation] = run.results as [RunJson, RunJson, RunJson]
    expect(run.exitCode).toBe(1)
    expect({drill: kill.drill, verdict: kill.verdict, failed: failed(kill)}).toEqual({drill: kill.drill, verdict: 'pass', failed: []})
    expect({drill: isolation.drill, verdict: isolation.verdict, failed: failed(isolation)}).toEqual({drill: isolation.drill, verdict: 'pass', failed: []})
    // The master kill and the power cut moved the master to gasan; each next drill's first step moved it back to pangyo, losing nothing.
    for (const x of [cut, isolation]) expect(x.timeline.find((e) => e.kind === 'runbook')?.detail).toMatch(/exit 0/)

    // The power cut: Redis failed over (met), the API never took a write again, because auth runs only in pangyo.
    expect(cut.verdict).toBe('fail')
    expect(failed(cut)).toEqual(['api: rto', 'step 5'])
    const apiRto = cut.results.find((o) => o.objective === 'api: rto')!
    expect(apiRto.measured).toBe('never recovered')
    expect(apiRto.reason).toMatch(/^service never recovered during the drill: \d+ of \d+ samples from the first failure on: failed: HTTP 503: .*auth unavailable: http:\/\/auth-pangyo:8081/)
    expect(cut.results.find((o) => o.objective === 'redis: rto')?.met).toBe(true)
    expect(cut.probes.find((p) => p.name === 'redis')?.measurements.rto_ms).toBeLessThan(15_000)
    const stuck = cut.timeline.find((e) => e.kind === 'not-recovered')
    expect(stuck?.detail).toMatch(/^probe api: still failing when the probe stopped \(last at seq \d+, .*\d+ × failed: HTTP 503: \{"error": "auth unavailable: http:\/\/auth-pangyo:8081/)
    // The table on stderr, the Markdown and the HTML report of the bundle say it too.
    expect(run.table).toMatch(/api: RTO[\s\S]*never recovered[\s\S]*auth/)
    const md = readFileSync(path.join(cut.evidence.dir, 'reports', 'report.md'), 'utf8')
    expect(md).toMatch(/\| api: rto \| 30\.00 s \| never recovered \| \*\*FAIL\*\* \| service never recovered during the drill: .*auth unavailable/)
    expect(md).toMatch(/Service never recovered before the probe stopped: probe api: still failing .*auth unavailable/)
    expect(md).toMatch(/\| not-recovered \| probe api: still failing/)
    const html = readFileSync(path.join(cut.evidence.dir, 'reports', 'report.html'), 'utf8')
    expect(html).toMatch(/service never recovered during the drill: [^<]*auth unavailable/)
    expect(html).toContain('data-kind="not-recovered"')
    await waitHealthy(m.state.topology, engine, {timeoutMs: 90_000})
  }, 900_000)
})

describe('messenger-3dc redundant (auth on every site)', () => {
  const m = messenger('fixtures/topologies/messenger-3dc/topology-redundant.yaml', 18_481)

  it("the shipped pangyo power cut, unchanged, passes: the gateway moves to gasan's API, which checks sessions with gasan's auth and writes to the promoted gasan", async () => {
    expect(await m.masters()).toEqual(['pangyo'])
    const started = performance.now()
    const run = await runShipped(['pangyo-power-cut'], m.state.file, path.join(tmp.dir, 'home-redundant'))
    console.log(`shipped pangyo power cut on messenger-3dc-redundant: ${((performance.now() - started) / 1000).toFixed(1)} s`)
    const [cut] = run.results as [RunJson]
    expect({verdict: cut.verdict, failed: failed(cut)}, run.table.slice(-3000)).toEqual({verdict: 'pass', failed: []})
    expect(run.exitCode).toBe(0)
    const api = cut.probes.find((p) => p.name === 'api')!.measurements
    // The API is back as soon as Redis is: Sentinel's failover (about 4.3 s), not the gateway's move (about 2 s).
    expect(api.rto_ms).toBeGreaterThan(2000)
    expect(api.rto_ms).toBeLessThan(20_000)
    expect(cut.timeline.some((e) => e.kind === 'not-recovered')).toBe(false)
    await waitHealthy(m.state.topology, engine, {timeoutMs: 90_000})
    expect(await m.masters()).toEqual(['gasan'])
  }, 900_000)
})
