import {readFileSync} from 'node:fs'
import path from 'node:path'

import {loadDrill, type LoadedDrill} from '../../src/config/load-drill.js'
import type {EvidenceEngine} from '../../src/evidence/collect.js'
import {PACKAGE_ROOT} from '../../src/paths.js'
import type {DrillResult} from '../../src/model/result.js'

/** The result of a real kill-primary run (bank-3site, 100 ms probe), samples included. */
export function fixtureResult(overrides: Partial<DrillResult> = {}): DrillResult {
  const r = JSON.parse(readFileSync(path.join(PACKAGE_ROOT, 'test', 'fixtures', 'evidence', 'kill-primary-result.json'), 'utf8')) as DrillResult
  return {...r, ...overrides}
}

/** The same run with an RTO objective of 500 ms: the RTO objective fails. */
export function failingResult(): DrillResult {
  const r = fixtureResult({run_id: '20261001T090000Z-fa11ed', verdict: 'fail'})
  r.results = r.results.map((o) =>
    o.objective === 'rto' ? {...o, target_ms: 500, target: '500 ms', met: false, reason: `recovered after ${(o.measured_ms! / 1000).toFixed(2)} s (over 500 ms)`} : o,
  )
  r.objectives = {...r.objectives, rto_ms: 500}
  return r
}

export function shippedDrill(): LoadedDrill {
  return loadDrill(path.join(PACKAGE_ROOT, 'drills', 'kill-primary.yaml'))
}

export const SECRET_TOKEN = 's3cr3t-T0ken-value'

/** An engine that answers evidence's questions about a 2-container, 2-network project without Docker; its data holds secrets. */
export function fakeEvidenceEngine(opts: {failLogsOf?: string} = {}): EvidenceEngine & {calls: string[]} {
  const calls: string[] = []
  const containers = ['postgres-seoul', 'etcd-seoul'].map((n) => ({
    id: `id-${n}`,
    name: `fd-bank-3site-${n}`,
    image: 'firedrill/bank-node:15',
    state: 'running' as const,
    health: 'healthy' as const,
    labels: {'io.firedrill.project': 'bank-3site'},
    addresses: {},
  }))
  return {
    calls,
    listContainers: async (filter) => (calls.push(`listContainers ${filter.join(',')}`), containers),
    listNetworks: async () => [
      {id: 'net-wan', name: 'fd-bank-3site-wan', labels: {}, subnets: ['172.19.0.0/16']},
      {id: 'net-seoul', name: 'fd-bank-3site-seoul', labels: {}, subnets: ['172.18.0.0/16']},
    ],
    inspectContainer: async (id) => ({
      Id: id,
      Name: `/${id}`,
      Config: {Env: ['PATRONI_SUPERUSER_PASSWORD=firedrill', `API_TOKEN=${SECRET_TOKEN}`, 'PATH=/usr/bin'], Labels: {'io.firedrill.project': 'bank-3site'}},
      State: {Status: 'running'},
    }),
    inspectNetwork: async (id) => ({Id: id, Driver: 'bridge', Labels: {'io.firedrill.project': 'bank-3site'}}),
    inspectImage: async (ref) => ({id: `sha256:${'ab'.repeat(32)}`, repoDigests: [], created: '2026-11-22T00:00:00Z', ref} as never),
    fullLogs: async (id) => {
      if (id === opts.failLogsOf) throw new Error('engine went away')
      return `2026-11-23T10:00:00Z starting ${id}\n2026-11-23T10:00:01Z connecting with password=firedrill token ${SECRET_TOKEN}\n`
    },
  }
}
