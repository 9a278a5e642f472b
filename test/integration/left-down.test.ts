import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {DockerEngine} from '../../src/engine/docker.js'
import {firedrill} from '../support/cli.js'
import {labelled, NOTHING, testProject} from '../support/docker.js'
import {tempDir} from '../support/files.js'

const LONG = {timeout: 480_000}

/**
 * A plain PostgreSQL primary (east) and a streaming standby cloned from it (west), no cluster manager.
 * The standby is cloned with pg_basebackup and no synchronous_standby_names is ever set, so the promoted
 * standby does not wait for a synchronous standby that no longer exists (../shared FACTS: the trap).
 */
function plainPrimaryStandby(project: string): string {
  return `name: ${project}
sites:
  east: {role: primary}
  west: {role: standby}
services:
  pg:
    sites: [east, west]
    image: firedrill/bank-node:15
    user: postgres
    command:
      - sh
      - -c
      - |
        D=/var/lib/postgresql/data
        if [ ! -s "$D/PG_VERSION" ]; then
          initdb -D "$D" -U postgres -A trust >/dev/null
          echo "host all all all trust" >> "$D/pg_hba.conf"
          echo "host replication all all trust" >> "$D/pg_hba.conf"
        fi
        exec postgres -D "$D" -c listen_addresses='*' -c fsync=off -c wal_level=replica
    per_site:
      west:
        command:
          - sh
          - -c
          - |
            D=/var/lib/postgresql/data
            if [ ! -s "$D/PG_VERSION" ]; then
              until pg_basebackup -h pg-east -U postgres -D "$D" -R -X stream 2>/dev/null; do rm -rf "$D"/*; sleep 0.5; done
            fi
            exec postgres -D "$D" -c listen_addresses='*' -c fsync=off
    health:
      test: [pg_isready, -h, 127.0.0.1, -U, postgres]
      interval: 200ms
      retries: 300
    stop_timeout: 1s
up_timeout: 90s
`
}

const drill = (topologyFile: string) => `name: plain-failover
topology: ${topologyFile}
objectives: {rto: 60s}
probe: {kind: postgres-write, service: pg, interval: 100ms, timeout: 1s}
steps:
  - sleep: 2s
  - fault: kill
    target: {service: pg, site: east}
    revert: false
  - runbook: promote the standby
    argv: [pg_ctl, promote, -w, -D, /var/lib/postgresql/data]
    in: {service: pg, site: west}
    user: postgres
  - wait: recovered
    timeout: 60s
  - sleep: 1s
`

describe('a fault left as it made it, on purpose: a plain primary killed and left down, its standby promoted by the runbook', () => {
  const project = testProject()
  let tmp: ReturnType<typeof tempDir>
  let engine: DockerEngine
  const byName = async () => Object.fromEntries((await engine.listContainers([`io.firedrill.project=${project}`])).map((c) => [c.name, c]))

  beforeAll(() => {
    tmp = tempDir()
    engine = new DockerEngine()
  })
  afterAll(async () => {
    await firedrill(['down', '--project', project], LONG)
    expect(await labelled(project)).toEqual(NOTHING)
    engine.close()
    tmp.cleanup()
  }, 300_000)

  it('measures the failover, leaves the old primary down (not a second primary), says so, and cleanup leaves it down too', async () => {
    const topology = tmp.write(`${project}.yaml`, plainPrimaryStandby(project))
    const file = tmp.write('plain-failover.yaml', drill(topology))
    const r = await firedrill(['run', file, '--ci', '--keep', '--json'], LONG)
    expect(r.exitCode, r.stderr).toBe(0)
    const result = JSON.parse(r.stdout)
    const one = Array.isArray(result) ? result[0] : result
    expect(one).toMatchObject({status: 'completed', verdict: 'pass', reverts: []})
    expect(one.measurements.rto_ms).toBeGreaterThan(0)
    expect(one.faults[0].detail).toMatch(/left as the fault made it, on purpose \(revert: false\): "start fd-.*-pg-east" is not done/)
    expect(r.stderr).not.toMatch(/not healthy again/)

    const east = `fd-${project}-pg-east`
    const west = `fd-${project}-pg-west`
    let seen = await byName()
    expect(seen[east]!.state).toBe('exited')
    expect(seen[west]!.state).toBe('running')
    // The promoted standby takes writes: one primary, not two.
    const inRecovery = await engine.exec(seen[west]!.id, ['psql', '-h', '127.0.0.1', '-U', 'postgres', '-Atc', 'select pg_is_in_recovery()'], {user: 'postgres', timeoutMs: 10_000})
    expect(inRecovery.stdout.trim()).toBe('f')

    // Nothing for cleanup to restore: the old primary stays down.
    const cleaned = await firedrill(['cleanup', '--project', project, '--json'], LONG)
    expect(cleaned.exitCode, cleaned.stderr).toBe(0)
    expect(JSON.parse(cleaned.stdout)).toMatchObject({failures: []})
    expect(JSON.parse(cleaned.stdout).actions.filter((a: string) => a.includes(east))).toEqual([])
    seen = await byName()
    expect(seen[east]!.state).toBe('exited')
  }, 480_000)
})
