import {createServer, type Server} from 'node:http'

import {afterEach, describe, expect, it} from 'vitest'

import {loadTopology} from '../../src/config/load-topology.js'
import type {ContainerSummary} from '../../src/engine/engine.js'
import {DEFAULT_TOPOLOGY} from '../../src/paths.js'
import {networkName} from '../../src/model/topology.js'
import {observe, unhealthyReasons} from '../../src/topology/observe.js'

/** One Patroni REST API on loopback answering for every member: /cluster as the DCS sees it, /patroni as the leader sees itself. */
async function patroni(ownRole: string): Promise<{server: Server; port: number}> {
  const members = [
    {name: 'postgres-seoul', role: 'leader', state: 'running'},
    {name: 'postgres-gyeonggi', role: 'sync_standby', state: 'streaming'},
    {name: 'postgres-busan', role: 'replica', state: 'streaming'},
  ]
  const server = createServer((req, res) => {
    res.setHeader('content-type', 'application/json')
    if (req.url === '/cluster') return res.end(JSON.stringify({members}))
    res.end(JSON.stringify({role: ownRole, state: 'running', replication: members.slice(1).map((m) => ({application_name: m.name, state: 'streaming', sync_state: m.role === 'sync_standby' ? 'sync' : 'async'}))}))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {server, port: (server.address() as {port: number}).port}
}

describe('observe: the leader must be read-write, not just hold the leader key', () => {
  let api: Awaited<ReturnType<typeof patroni>>
  afterEach(() => api.server.close())

  async function reasons(ownRole: string): Promise<string[]> {
    api = await patroni(ownRole)
    const topology = loadTopology(DEFAULT_TOPOLOGY)
    for (const i of topology.instances) if (i.cluster?.manager === 'patroni') i.cluster = {...i.cluster, api_port: api.port}
    const containers: ContainerSummary[] = topology.instances.map((i) => ({
      id: i.containerName,
      name: i.containerName,
      image: 'x',
      state: 'running',
      health: 'healthy',
      labels: {},
      addresses: {[networkName(topology.project, undefined)]: '127.0.0.1'},
    }))
    return unhealthyReasons(await observe(topology, {listContainers: async () => containers}))
  }

  it('a leader that says it is the primary is healthy', async () => {
    expect(await reasons('master')).toEqual([])
  })

  // Seen after an isolation was healed: seoul kept the leader key while demoting itself, every node was read-only.
  it('a leader key held by a node that is demoting itself is not a leader', async () => {
    expect(await reasons('demoted')).toEqual(['postgres: 0 of 1 leader'])
  })
})

describe('observe: the leader\'s own view of the cluster decides, not the first member to answer', () => {
  const servers: Server[] = []
  afterEach(() => {
    for (const s of servers.splice(0)) s.close()
  })

  /** One API per member on its own loopback address; `views` says what each answers for /cluster. */
  async function apis(views: Record<string, {name: string; role: string; state: string}[]>): Promise<number> {
    let port = 0
    for (const [address, members] of Object.entries(views)) {
      const server = createServer((req, res) => {
        res.setHeader('content-type', 'application/json')
        if (req.url === '/cluster') return res.end(JSON.stringify({members}))
        const leader = members.find((m) => m.role === 'leader')!
        res.end(JSON.stringify({role: 'master', replication: members.filter((m) => m !== leader).map((m) => ({application_name: m.name, state: 'streaming', sync_state: m.role === 'sync_standby' ? 'sync' : 'async'}))}))
      })
      await new Promise<void>((resolve) => server.listen(port, address, resolve))
      port = (server.address() as {port: number}).port
      servers.push(server)
    }
    return port
  }

  it('seoul, healed from a partition, still answers from its stale etcd copy (seoul leader); gyeonggi, the leader, says seoul is its sync standby', async () => {
    const stale = [
      {name: 'postgres-seoul', role: 'leader', state: 'running'},
      {name: 'postgres-gyeonggi', role: 'sync_standby', state: 'running'},
      {name: 'postgres-busan', role: 'replica', state: 'running'},
    ]
    const fresh = [
      {name: 'postgres-seoul', role: 'sync_standby', state: 'running'},
      {name: 'postgres-gyeonggi', role: 'leader', state: 'running'},
      {name: 'postgres-busan', role: 'replica', state: 'running'},
    ]
    const port = await apis({'127.0.0.1': stale, '127.0.0.2': fresh, '127.0.0.3': fresh})
    const topology = loadTopology(DEFAULT_TOPOLOGY)
    for (const i of topology.instances) if (i.cluster?.manager === 'patroni') i.cluster = {...i.cluster, api_port: port}
    const address: Record<string, string> = {seoul: '127.0.0.1', gyeonggi: '127.0.0.2', busan: '127.0.0.3'}
    const containers: ContainerSummary[] = topology.instances.map((i) => ({
      id: i.containerName,
      name: i.containerName,
      image: 'x',
      state: 'running',
      health: 'healthy',
      labels: {},
      addresses: {[networkName(topology.project, undefined)]: address[i.site]!},
    }))
    const seen = await observe(topology, {listContainers: async () => containers})
    const roles = Object.fromEntries(seen.instances.filter((o) => o.instance.service === 'postgres').map((o) => [o.instance.site, o.role]))
    expect(roles).toEqual({seoul: 'sync_standby', gyeonggi: 'leader', busan: 'replica'})
  })
})
