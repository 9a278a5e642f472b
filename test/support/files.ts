import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {DEFAULT_TOPOLOGY, PACKAGE_ROOT} from '../../src/paths.js'

/** A temporary directory for input files, removed by the returned cleanup. */
export function tempDir(): {dir: string; write: (name: string, text: string) => string; cleanup: () => void} {
  const dir = mkdtempSync(path.join(tmpdir(), 'firedrill-test-'))
  return {
    dir,
    write: (name, text) => {
      const file = path.join(dir, name)
      writeFileSync(file, text)
      return file
    },
    cleanup: () => rmSync(dir, {recursive: true, force: true}),
  }
}

/** The embedded topology's text under another project name, with its build context made absolute. */
export function embeddedTopologyAs(project: string): string {
  const context = path.join(path.dirname(DEFAULT_TOPOLOGY), 'image')
  return readFileSync(DEFAULT_TOPOLOGY, 'utf8')
    .replace(/^name: bank-3site$/m, `name: ${project}`)
    .replaceAll('context: ./image', `context: ${context}`)
}

export const MINIMAL_DRILL = `name: kill-primary
objectives:
  rto: 30s
  rpo: 0s
probe:
  kind: postgres-write
  service: postgres
  password: firedrill
steps:
  - sleep: 1s
  - fault: kill
    target: {service: postgres, role: leader}
  - wait: recovered
    timeout: 60s
`

/**
 * One PostgreSQL 15 on one site, no Patroni and no etcd (up in about 2 s): for tests that need a real
 * drill and real evidence but no failover. The superuser's password is DB_PASSWORD, which the container
 * also prints in its log, as an application printing its connection string would.
 */
export function tinyPostgresTopology(project: string, opts: {password?: string} = {}): string {
  return `name: ${project}
sites:
  east: {role: primary}
services:
  postgres:
    sites: [east]
    image: firedrill/bank-node:15
    user: postgres
    command:
      - sh
      - -c
      - |
        D=/var/lib/postgresql/data
        if [ ! -s "$D/PG_VERSION" ]; then
          printf '%s' "$DB_PASSWORD" > /tmp/pw
          initdb -D "$D" -U postgres --pwfile=/tmp/pw -A scram-sha-256 >/dev/null && rm /tmp/pw
          echo "host all all all scram-sha-256" >> "$D/pg_hba.conf"
        fi
        echo "app DSN is postgresql://postgres:$DB_PASSWORD@$(hostname)/postgres"
        exec postgres -D "$D" -c listen_addresses='*' -c fsync=off
    env:
      DB_PASSWORD: ${JSON.stringify(opts.password ?? 'tiny-pg-password')}
    health:
      test: [pg_isready, -h, 127.0.0.1, -U, postgres]
      interval: 200ms
    stop_timeout: 1s
up_timeout: 60s
`
}

/** A short drill for tinyPostgresTopology: pause the database for `pause` (longer than the probe's 1 s timeout, so writes fail), heal, wait until writes are acknowledged again. */
export function tinyPauseDrill(name: string, topologyFile: string, opts: {password?: string; pause?: string; extraSteps?: string} = {}): string {
  return `name: ${name}
topology: ${topologyFile}
objectives: {rto: 30s, rpo: 0s}
probe:
  kind: postgres-write
  service: postgres
  password: ${JSON.stringify(opts.password ?? 'tiny-pg-password')}
steps:
${opts.extraSteps ?? ''}  - sleep: 1s
  - fault: pause
    target: {service: postgres}
  - sleep: ${opts.pause ?? '2s'}
  - heal: all
  - wait: recovered
    timeout: 30s
`
}

/**
 * A topology of this package (e.g. `fixtures/topologies/messenger-3dc/topology.yaml`) under another project name,
 * its build contexts made absolute and, with `ports`, each published host port replaced
 * (old → new), so a test does not collide with the same topology brought up by hand.
 */
export function fixtureTopologyAs(relative: string, project: string, ports: Record<number, number> = {}): string {
  const file = path.join(PACKAGE_ROOT, relative)
  let text = readFileSync(file, 'utf8')
    .replace(/^name: .*$/m, `name: ${project}`)
    .replaceAll(/context: \.\/(\S+)/g, (_, dir: string) => `context: ${path.join(path.dirname(file), dir)}`)
  for (const [from, to] of Object.entries(ports)) text = text.replaceAll(`host: ${from}}`, `host: ${to}}`)
  return text
}
