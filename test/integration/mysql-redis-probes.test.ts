import path from 'node:path'

import {afterAll, describe, expect, it} from 'vitest'

import {loadTopology} from '../../src/config/load-topology.js'
import {DockerEngine} from '../../src/engine/docker.js'
import {LABEL} from '../../src/engine/labels.js'
import {measure} from '../../src/measure/measure.js'
import type {Sample} from '../../src/model/sample.js'
import type {Topology} from '../../src/model/topology.js'
import {mysqlWriteSchema} from '../../src/probes/mysql/schema.js'
import {MysqlWriteProbe} from '../../src/probes/mysql/write-probe.js'
import type {ProbeNode} from '../../src/probes/probe.js'
import {redisWriteSchema} from '../../src/probes/redis/schema.js'
import {RedisWriteProbe} from '../../src/probes/redis/write-probe.js'
import type {WriteFollower} from '../../src/probes/write-follower.js'
import {statusTable} from '../../src/report/table.js'
import {bringUp, tearDown} from '../../src/topology/lifecycle.js'
import {observe} from '../../src/topology/observe.js'
import {firedrill} from '../support/cli.js'
import {labelled, NOTHING, testProject} from '../support/docker.js'
import {fixtureTopologyAs, tempDir} from '../support/files.js'
import {mariadbReadOnlyRoles} from '../../bench/lib/drills.js'

/**
 * Issue 12's mysql-write and redis-write probes and the `command` role reader, against real
 * containers: MariaDB primary + GTID replica (test/fixtures/topologies/mariadb-2site) and Redis with
 * three Sentinels (messenger-3dc's image). The primary / master is killed with SIGKILL, the probe
 * follows the promotion, and its lost-write count is checked against the promoted node read
 * independently (the database's own CLI, inside its container). Each topology is taken down after.
 */
const engine = new DockerEngine()
const tmp = tempDir()
const INTERVAL_MS = 50
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

afterAll(() => {
  engine.close()
  tmp.cleanup()
})

/** The instances of `service` at their WAN addresses, as the runner's ProbeContext gives them. */
const nodesOf = (topology: Topology, service: string) => async (): Promise<ProbeNode[]> =>
  (await observe(topology, engine)).instances.flatMap((o) => (o.instance.service === service && o.container && o.address ? [{name: o.instance.hostname, address: o.address}] : []))

async function containerOf(topology: Topology, service: string, site: string) {
  const [c] = await engine.listContainers([`${LABEL.project}=${topology.project}`, `${LABEL.service}=${service}`, `${LABEL.site}=${site}`])
  if (!c) throw new Error(`no ${service} on ${site}`)
  return c
}

async function execOk(topology: Topology, service: string, site: string, argv: string[]): Promise<string> {
  const r = await engine.exec((await containerOf(topology, service, site)).id, argv, {timeoutMs: 30_000})
  if (r.exitCode !== 0) throw new Error(`${argv.join(' ')} in ${service}@${site} exited ${r.exitCode}: ${r.stderr}`)
  return r.stdout
}

/** Until the probe has `n` acknowledged samples in a row that started after `after`, or `ms` passed. */
async function recovered(probe: WriteFollower<unknown>, after: number, n: number, ms: number): Promise<void> {
  const until = performance.now() + ms
  while (performance.now() < until) {
    const tail = probe.samples.filter((s) => s.start > after).slice(-n)
    if (tail.length === n && tail.every((s) => s.outcome === 'ok')) return
    await sleep(100)
  }
  throw new Error(`the probe did not recover within ${ms} ms: ${JSON.stringify(probe.samples.slice(-3))}`)
}

const acked = (samples: readonly Sample[]) => new Set(samples.filter((s) => s.outcome === 'ok').map((s) => s.seq))
const minus = (a: Set<number>, b: Set<number>) => new Set([...a].filter((x) => !b.has(x)))

/** mariadb-2site as project PROJECT, its roles read by the command reader from `SELECT @@read_only`, ready when READY_WHEN holds. */
function mariadbWithReadOnlyReader(project: string, readyWhen: string): string {
  return mariadbReadOnlyRoles(fixtureTopologyAs('test/fixtures/topologies/mariadb-2site/topology.yaml', project), readyWhen)
}

describe('mysql-write and the command role reader on MariaDB primary + replica', () => {
  const project = testProject()
  let topology: Topology

  afterAll(async () => {
    if (topology) await tearDown(project, engine)
    expect(await labelled(project)).toEqual(NOTHING)
  })

  it('roles from `SELECT @@read_only`; a kill of the primary loses exactly the rows the replica never got; the old primary restarted is a second writable node, and the probe says so', async () => {
    const text = mariadbWithReadOnlyReader(project, 'leader: 1, replica: 1')
    topology = loadTopology(tmp.write(`${project}.yaml`, text))
    await bringUp(topology, engine)
    const roles = async () => Object.fromEntries((await observe(topology, engine)).instances.map((o) => [o.instance.site, o.role ?? null]))
    expect(await roles()).toEqual({seoul: 'leader', busan: 'replica'})

    const runId = `it-${project}`
    const spec = mysqlWriteSchema.parse({kind: 'mysql-write', service: 'mariadb', database: 'firedrill', user: 'firedrill', password: 'firedrill', interval: INTERVAL_MS, timeout: 1000})
    const probe = new MysqlWriteProbe(spec, runId, nodesOf(topology, 'mariadb'))
    const root = (sql: string) => ['mariadb', '--protocol=socket', '-uroot', '-pfiredrill-root', '-N', '-B', '-e', sql]
    try {
      await probe.start()
      await sleep(1000)
      // The replica stops applying: every write acknowledged from now on is on the primary alone.
      await execOk(topology, 'mariadb', 'busan', root('STOP SLAVE'))
      const stoppedAt = performance.now()
      await sleep(1000)
      const faultAt = performance.now()
      await engine.killContainer((await containerOf(topology, 'mariadb', 'seoul')).id, 'SIGKILL')
      await sleep(500)
      await execOk(topology, 'mariadb', 'busan', ['mariadb-promote'])
      await recovered(probe, faultAt, 5, 30_000)
      await probe.stop()

      const readBack = await probe.readBack(10_000)
      expect(readBack?.node).toBe('mariadb-busan')
      // Ground truth, read apart from the probe: the promoted node's rows, through its own CLI.
      const rows = await execOk(topology, 'mariadb', 'busan', root(`SELECT seq FROM firedrill.firedrill_probe WHERE run_id = '${runId}'`))
      const onBusan = new Set(rows.split('\n').filter(Boolean).map(Number))
      const lost = minus(acked(probe.samples), onBusan)
      const m = measure({samples: probe.samples, faultAt, readBack: readBack!.seqs, stableSamples: 3, intervalMs: INTERVAL_MS})
      expect(m.lost_writes).toBe(lost.size)
      // About a second of writes at 50 ms; each lost one was acknowledged after replication stopped.
      expect(lost.size).toBeGreaterThan(10)
      const bySeq = new Map(probe.samples.map((s) => [s.seq, s]))
      for (const seq of lost) expect(bySeq.get(seq)!.end).toBeGreaterThan(stoppedAt - INTERVAL_MS)
      const oldest = Math.min(...[...lost].map((seq) => bySeq.get(seq)!.end))
      expect(m.rpo_ms).toBeCloseTo(faultAt - oldest, 0)
      expect(m.rto_ms).toBeGreaterThan(500)
      console.log(`mysql-write: ${lost.size} acknowledged writes lost, firedrill counted ${m.lost_writes}; RPO ${m.rpo_ms?.toFixed(0)} ms, RTO ${m.rto_ms?.toFixed(0)} ms`)

      // No cluster manager: the killed primary, started again, comes back writable beside the promoted one.
      await engine.startContainer((await containerOf(topology, 'mariadb', 'seoul')).id)
      let writers: string[] | undefined
      const until = performance.now() + 60_000
      while (performance.now() < until && (writers?.length ?? 0) < 2) {
        await sleep(500)
        writers = await probe.writableNodes(5000)
      }
      expect(writers?.sort()).toEqual(['mariadb-busan', 'mariadb-seoul'])
      expect(await roles()).toEqual({seoul: 'leader', busan: 'leader'})
    } finally {
      await probe.close()
    }
  })
})

describe('redis-write through Sentinel and the command role reader on Redis', () => {
  const project = testProject()
  let topology: Topology

  afterAll(async () => {
    if (topology) await tearDown(project, engine)
    expect(await labelled(project)).toEqual(NOTHING)
  })

  it('roles from `redis-cli role`; a master kill with the promoted replica behind: the probe follows the Sentinels to the new master and counts exactly the acknowledged keys it lacks', async () => {
    const common = (command: string) => `    sites: [pangyo, gasan, busan]
    image: firedrill/messenger-node:1
    command: [${command}]
    health: {test: [messenger-node, check, ${command}], interval: 30s, timeout: 3s, retries: 3}
    stop_timeout: 2s`
    topology = loadTopology(
      tmp.write(
        `${project}.yaml`,
        `name: ${project}
sites:
  pangyo: {role: primary}
  gasan: {role: standby}
  busan: {role: replica}
services:
  redis:
${common('redis')}
    env:
      WAN_NETWORK: fd-\${project}-wan
      REDIS_INITIAL_MASTER: redis-pangyo
      SENTINELS: sentinel-pangyo:26379,sentinel-gasan:26379,sentinel-busan:26379
    per_site:
      pangyo: {env: {REDIS_INITIAL_MASTER: self}}
      busan: {env: {REPLICA_PRIORITY: '0'}}
    cluster:
      manager: command
      command: [redis-cli, role]
      ready_when: {leader: 1, replica: 2}
  sentinel:
${common('sentinel')}
    env:
      WAN_NETWORK: fd-\${project}-wan
      SENTINEL_MONITOR: redis-pangyo
      SENTINEL_QUORUM: '2'
      SENTINEL_DOWN_AFTER_MS: '3000'
      SENTINEL_FAILOVER_TIMEOUT_MS: '15000'
`,
      ),
    )
    await bringUp(topology, engine)
    const seen = await observe(topology, engine)
    const roles = Object.fromEntries(seen.instances.filter((o) => o.instance.service === 'redis').map((o) => [o.instance.site, o.role ?? null]))
    expect(roles).toEqual({pangyo: 'leader', gasan: 'replica', busan: 'replica'})
    expect(statusTable(seen.instances)).toMatch(/redis-pangyo.*leader/)

    const runId = `it-${project}`
    const spec = redisWriteSchema.parse({kind: 'redis-write', service: 'redis', sentinels: {service: 'sentinel', master: 'messenger'}, interval: INTERVAL_MS, timeout: 1000})
    const probe = new RedisWriteProbe(spec, runId, nodesOf(topology, 'redis'), nodesOf(topology, 'sentinel'))
    try {
      await probe.start()
      await sleep(1000)
      // gasan, the replica the Sentinels will promote, stops receiving: pointed at a port nothing listens on,
      // it stays a replica (Sentinel corrects a replica's master only after seconds), so every key
      // acknowledged from now on is on the master (and busan, never promoted) alone.
      await execOk(topology, 'redis', 'gasan', ['redis-cli', 'replicaof', '127.0.0.1', '1'])
      const cutAt = performance.now()
      await sleep(1000)
      const faultAt = performance.now()
      await engine.killContainer((await containerOf(topology, 'redis', 'pangyo')).id, 'SIGKILL')
      await recovered(probe, faultAt, 5, 60_000)
      await probe.stop()
      const readBack = await probe.readBack(10_000)
      expect(readBack?.node).toBe('redis-gasan')
      // Ground truth, read apart from the probe: the new master's keys, through redis-cli in its container.
      const keys = await execOk(topology, 'redis', 'gasan', ['redis-cli', '--scan', '--pattern', `firedrill:probe:${runId}:*`])
      const onGasan = new Set(keys.split('\n').filter(Boolean).map((k) => Number(k.split(':').at(-1))))
      const lost = minus(acked(probe.samples), onGasan)
      const m = measure({samples: probe.samples, faultAt, readBack: readBack!.seqs, stableSamples: 3, intervalMs: INTERVAL_MS})
      expect(m.lost_writes).toBe(lost.size)
      expect(readBack!.seqs).toEqual(onGasan)
      // Asynchronous replication under a master kill loses acknowledged writes: about a second's worth here,
      // each acknowledged after gasan's link was cut.
      expect(lost.size).toBeGreaterThan(10)
      const bySeq = new Map(probe.samples.map((s) => [s.seq, s]))
      for (const seq of lost) expect(bySeq.get(seq)!.end).toBeGreaterThan(cutAt - INTERVAL_MS)
      const oldest = Math.min(...[...lost].map((seq) => bySeq.get(seq)!.end))
      expect(m.rpo_ms).toBeCloseTo(faultAt - oldest, 0)
      // Sentinel needs 3 s to call the master down, then a failover.
      expect(m.rto_ms).toBeGreaterThan(3000)
      console.log(`redis-write: ${lost.size} acknowledged writes lost, firedrill counted ${m.lost_writes}; RPO ${m.rpo_ms?.toFixed(0)} ms, RTO ${m.rto_ms?.toFixed(0)} ms`)
    } finally {
      await probe.close()
    }
  })
})

describe('a drill on MariaDB with no cluster manager, run as users run it', () => {
  const project = testProject()

  afterAll(async () => {
    await firedrill(['down', '--project', project], {timeout: 120_000})
    expect(await labelled(project)).toEqual(NOTHING)
  })

  it('kill the leader (read by the command reader), promote by a runbook step: the lost writes are counted from the promoted node, and the verdict says two nodes accept writes at the end', async () => {
    const text = mariadbWithReadOnlyReader(project, 'leader: 1')
    const topologyFile = tmp.write(`${project}.yaml`, text)
    const root = (sql: string) => `[mariadb, --protocol=socket, -uroot, -pfiredrill-root, -e, '${sql}']`
    const drill = tmp.write(
      `${project}-drill.yaml`,
      `name: mariadb-kill-primary
topology: ${topologyFile}
objectives: {rto: 30s, rpo: 0s}
probe: {kind: mysql-write, service: mariadb, database: firedrill, user: firedrill, password: firedrill, interval: 50ms, timeout: 1s}
steps:
  - sleep: 2s
  - runbook: busan stops applying (what the drill loses)
    argv: ${root('STOP SLAVE')}
    in: {service: mariadb, site: busan}
  - sleep: 1s
  - fault: kill
    target: {service: mariadb, role: leader}
    signal: SIGKILL
  - runbook: promote busan
    argv: [mariadb-promote]
    in: {service: mariadb, site: busan}
  - wait: recovered
    timeout: 60s
  - sleep: 1s
`,
    )
    // A home of its own: the shared test home's history store is written by other test files meanwhile.
    const r = await firedrill(['run', drill, '--ci', '--json'], {timeout: 300_000, env: {FIREDRILL_HOME: path.join(tmp.dir, 'home')}})
    expect(r.exitCode, `${r.stderr}\n${r.stdout.slice(0, 2000)}`).toBe(1)
    const result = JSON.parse(r.stdout) as {results: {objective: string; met: boolean; measured: string; reason: string}[]; measurements: {lost_writes: number; rto_ms: number}; timeline: {kind: string; detail: string}[]}
    const rows = Object.fromEntries(result.results.map((x) => [x.objective, x]))
    expect(rows.rto?.met).toBe(true)
    expect(rows.rpo?.met).toBe(false)
    // About a second of writes at 50 ms went to seoul alone; the read-back is busan's, not the restarted seoul's (which holds them).
    expect(result.measurements.lost_writes).toBeGreaterThan(10)
    expect(result.timeline.find((e) => e.kind === 'read-back')?.detail).toMatch(/read back from mariadb-busan/)
    const writers = rows['one writable node at the end']
    expect(writers).toMatchObject({met: false, measured: '2 nodes accept writes'})
    expect(writers!.reason).toMatch(/^mariadb-(busan|seoul) and mariadb-(busan|seoul) both accept writes at the end of the drill/)
    console.log(`drill: ${result.measurements.lost_writes} lost, RTO ${result.measurements.rto_ms} ms; ${writers!.reason}`)
  })
})
