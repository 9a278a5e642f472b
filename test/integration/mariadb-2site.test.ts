import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {loadTopology} from '../../src/config/load-topology.js'
import {DockerEngine} from '../../src/engine/docker.js'
import {LABEL} from '../../src/engine/labels.js'
import {bringUp, tearDown, waitHealthy} from '../../src/topology/lifecycle.js'
import type {Topology} from '../../src/model/topology.js'
import {labelled, NOTHING, testProject} from '../support/docker.js'
import {fixtureTopologyAs, tempDir} from '../support/files.js'

/**
 * test/fixtures/topologies/mariadb-2site, the system issue 12's mysql-write probe is tested against:
 * a primary's writes reach the GTID replica; the replica refuses the application's writes
 * (read_only=1); killing the primary and running the promotion script (one argv, as a runbook step
 * runs it) makes the replica writable with every replicated row; and, with no cluster manager,
 * starting the old primary again gives two writable nodes (what a drill's `restore: false` is for).
 */
const engine = new DockerEngine()
const tmp = tempDir()
const project = testProject()
let topology: Topology

beforeAll(async () => {
  topology = loadTopology(tmp.write(`${project}.yaml`, fixtureTopologyAs('test/fixtures/topologies/mariadb-2site/topology.yaml', project)))
  const up = await bringUp(topology, engine)
  console.log(`mariadb-2site: up and healthy in ${(up.duration_ms / 1000).toFixed(1)} s`)
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

async function container(site: 'seoul' | 'busan') {
  const [c] = await engine.listContainers([`${LABEL.project}=${project}`, `${LABEL.site}=${site}`])
  if (!c) throw new Error(`no mariadb on ${site}`)
  return c
}

/** SQL as the application's account (no SUPER), over TCP from `from`'s container to `host` (a DNS name). */
async function appSql(from: 'seoul' | 'busan', host: string, statement: string) {
  const r = await engine.exec((await container(from)).id, ['mariadb', '-h', host, '-u', 'firedrill', '-pfiredrill', '-N', '-B', 'firedrill', '-e', statement], {timeoutMs: 30_000})
  return {exitCode: r.exitCode, stdout: r.stdout.trim(), stderr: r.stderr.trim()}
}

async function ok(from: 'seoul' | 'busan', host: string, statement: string): Promise<string> {
  const r = await appSql(from, host, statement)
  expect(r.exitCode, r.stderr).toBe(0)
  return r.stdout
}

describe('mariadb-2site on the real engine', () => {
  it('the primary is writable, the replica read-only and replicating by GTID; writes reach it', async () => {
    expect(await ok('busan', 'mariadb-seoul', 'SELECT @@read_only, @@gtid_strict_mode, @@log_bin')).toBe('0\t1\t1')
    expect(await ok('seoul', 'mariadb-busan', 'SELECT @@read_only, @@gtid_strict_mode')).toBe('1\t1')
    // The client stands in busan and writes across the WAN to seoul, as an application would.
    await ok('busan', 'mariadb-seoul', 'CREATE TABLE ledger (seq INT PRIMARY KEY, at TIMESTAMP(6) DEFAULT CURRENT_TIMESTAMP(6))')
    const values = Array.from({length: 100}, (_, i) => `(${i + 1})`).join(',')
    await ok('busan', 'mariadb-seoul', `INSERT INTO ledger (seq) VALUES ${values}`)
    const gtid = await ok('busan', 'mariadb-seoul', 'SELECT @@gtid_binlog_pos')
    expect(gtid).toMatch(/^0-1-\d+$/)
    // MASTER_GTID_WAIT: 0 once the replica has applied everything up to the primary's position.
    expect(await ok('busan', 'mariadb-busan', `SELECT MASTER_GTID_WAIT('${gtid}', 20)`)).toBe('0')
    expect(await ok('busan', 'mariadb-busan', 'SELECT COUNT(*), SUM(seq) FROM ledger')).toBe('100\t5050')
    // The replica refuses the application's writes.
    const refused = await appSql('busan', 'mariadb-busan', 'INSERT INTO ledger (seq) VALUES (101)')
    expect(refused.exitCode).toBe(1)
    expect(refused.stderr).toMatch(/ERROR 1290 .*--read-only/)
  })

  it('primary killed, the promotion script (one argv) makes the replica writable with every row; the old primary restarted is a second writable node', async () => {
    const seoul = await container('seoul')
    const busan = await container('busan')
    await engine.killContainer(seoul.id, 'SIGKILL')
    try {
      const promoted = await engine.exec(busan.id, ['mariadb-promote'], {timeoutMs: 30_000})
      expect(promoted.exitCode, promoted.stderr).toBe(0)
      expect(promoted.stdout).toMatch(/^promoted: hostname read_only gtid_current_pos = mariadb-busan\t0\t0-1-\d+$/m)
      expect(await ok('busan', 'mariadb-busan', 'SELECT @@read_only')).toBe('0')
      await ok('busan', 'mariadb-busan', 'INSERT INTO ledger (seq) VALUES (101)')
      expect(await ok('busan', 'mariadb-busan', 'SELECT COUNT(*), SUM(seq) FROM ledger')).toBe('101\t5151')
      const status = await engine.exec(busan.id, ['sh', '-c', 'mariadb -uroot -p"$ROOT_PASSWORD" -e "SHOW SLAVE STATUS"'], {timeoutMs: 10_000})
      expect(status.exitCode, status.stderr).toBe(0)
      expect(status.stdout.trim()).toBe('')
    } finally {
      await engine.startContainer(seoul.id)
    }
    await waitHealthy(topology, engine, {timeoutMs: 90_000})
    // No cluster manager: the old primary comes back writable, beside the promoted replica.
    expect(await ok('busan', 'mariadb-seoul', 'SELECT @@read_only, COUNT(*) FROM ledger')).toBe('0\t100')
    expect(await ok('seoul', 'mariadb-busan', 'SELECT @@read_only')).toBe('0')
    // A restart keeps the promoted node writable (the script recorded it).
    await engine.stopContainer(busan.id, 10_000)
    await engine.startContainer(busan.id)
    await waitHealthy(topology, engine, {timeoutMs: 90_000})
    expect(await ok('seoul', 'mariadb-busan', 'SELECT @@read_only, COUNT(*) FROM ledger')).toBe('0\t101')
  })
})
