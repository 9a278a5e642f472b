import {createServer, type Server} from 'node:http'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {commandRoleReader} from '../../src/cluster/command.js'
import {httpRoleReader} from '../../src/cluster/http.js'
import {roleFromOutput} from '../../src/cluster/role-words.js'
import type {ClusterMember, ClusterSpecOf} from '../../src/cluster/role-reader.js'
import {loadTopology} from '../../src/config/load-topology.js'
import type {ContainerSummary} from '../../src/engine/engine.js'
import {networkName} from '../../src/model/topology.js'
import {statusTable} from '../../src/report/table.js'
import {observe, unhealthyReasons} from '../../src/topology/observe.js'
import {issuesOf} from '../support/config.js'
import {tempDir} from '../support/files.js'

const ready = {leader: 1, sync_standby: 0, replica: 0}

describe('role words', () => {
  it('maps the usual words and the topology own outputs', () => {
    expect(roleFromOutput('master\n10.0.0.2\n6379\n')).toBe('leader')
    expect(roleFromOutput('  PRIMARY ')).toBe('leader')
    expect(roleFromOutput('slave\nredis-seoul')).toBe('replica')
    expect(roleFromOutput('secondary')).toBe('replica')
    expect(roleFromOutput('standby')).toBe('replica')
    expect(roleFromOutput('sync_standby')).toBe('sync_standby')
    expect(roleFromOutput('\n0\n', {'0': 'leader', '1': 'replica'})).toBe('leader')
    expect(roleFromOutput('1', {'0': 'leader', '1': 'replica'})).toBe('replica')
    expect(roleFromOutput('sentinel')).toBeUndefined()
    expect(roleFromOutput('')).toBeUndefined()
  })
})

describe('the command role reader', () => {
  const cluster: ClusterSpecOf<'command'> = {manager: 'command', command: ['redis-cli', 'role'], outputs: {}, timeout: 500, ready_when: ready}
  const member = (name: string, answer: () => Promise<{exitCode: number; stdout: string; stderr: string}>): ClusterMember & {calls: string[][]} => {
    const calls: string[][] = []
    return {name, address: '127.0.0.1', calls, exec: (argv) => (calls.push(argv), answer())}
  }

  it('runs the argv itself in each member and reads the first line as the role; failures are unknown, not errors', async () => {
    const a = member('a', async () => ({exitCode: 0, stdout: 'master\n0\n', stderr: ''}))
    const b = member('b', async () => ({exitCode: 0, stdout: 'slave\na\n6379\nconnected\n', stderr: ''}))
    const c = member('c', async () => ({exitCode: 1, stdout: '', stderr: 'Could not connect to Redis\n'}))
    const d = member('d', () => Promise.reject(new Error('redis-cli role in d took longer than 500 ms')))
    const e = member('e', async () => ({exitCode: 0, stdout: 'sentinel\n', stderr: ''}))
    const roles = await commandRoleReader.readRoles([a, b, c, d, e, {name: 'f', address: 'x'}], cluster)
    expect(a.calls).toEqual([['redis-cli', 'role']])
    expect(Object.fromEntries([...roles!].map(([n, r]) => [n, r.role]))).toEqual({a: 'leader', b: 'replica', c: 'other', d: 'other', e: 'other', f: 'other'})
    expect(roles!.get('c')!.state).toBe('unknown: redis-cli exited 1: Could not connect to Redis')
    expect(roles!.get('d')!.state).toContain('took longer than 500 ms')
    expect(roles!.get('e')!.state).toBe('unknown: "sentinel" names no role')
    expect(roles!.get('f')!.state).toBe('unknown: cannot run a command in it')
    expect(commandRoleReader.serving(roles!.get('a')!)).toBe(true)
    expect(commandRoleReader.serving(roles!.get('c')!)).toBe(false)
  })
})

describe('the http role reader', () => {
  // One listener per member, on its own loopback address (127.0.0.1 to .4) and the one port the cluster names.
  const servers: Server[] = []
  afterEach(() => {
    for (const s of servers.splice(0)) {
      s.closeAllConnections()
      s.close()
    }
  })
  async function member(address: string, role: string, port = 0): Promise<number> {
    const server = createServer((req, res) => {
      if (role === 'hang') return
      res.statusCode = req.url === `/${role}` ? 200 : 503
      res.end()
    })
    servers.push(server)
    await new Promise<void>((resolve) => server.listen(port, address, resolve))
    return (server.address() as {port: number}).port
  }

  it('gives each member the role whose path answers 2xx; none, or no answer, is unknown', async () => {
    const port = await member('127.0.0.1', 'primary')
    await member('127.0.0.2', 'replica', port)
    await member('127.0.0.3', 'nothing', port)
    await member('127.0.0.4', 'hang', port)
    const cluster: ClusterSpecOf<'http'> = {manager: 'http', port, paths: {leader: '/primary', replica: '/replica'}, timeout: 300, ready_when: ready}
    const members = ['127.0.0.1', '127.0.0.2', '127.0.0.3', '127.0.0.4'].map((address, i) => ({name: `m${i}`, address}))
    const roles = await httpRoleReader.readRoles(members, cluster)
    expect(Object.fromEntries([...roles!].map(([n, r]) => [n, r.role]))).toEqual({m0: 'leader', m1: 'replica', m2: 'other', m3: 'other'})
    expect(roles!.get('m0')!.state).toBe('/primary answered 200')
    expect(roles!.get('m2')!.state).toBe('unknown: /primary 503, /replica 503')
    expect(roles!.get('m3')!.state).toMatch(/^unknown: \/primary .*(timeout|aborted)/i)
  })
})

describe('topologies with a command or http cluster manager', () => {
  let tmp: ReturnType<typeof tempDir>
  beforeEach(() => {
    tmp = tempDir()
  })
  afterEach(() => tmp.cleanup())

  const topology = (cluster: string) =>
    tmp.write(
      'topology.yaml',
      `name: cache
sites: {a: {role: primary}, b: {role: standby}}
services:
  redis:
    sites: [a, b]
    image: redis:7
${cluster}
`,
    )

  it('refuses a role command given as a shell string, with file, line and field', () => {
    const file = topology(`    cluster: {manager: command, command: "redis-cli role"}`)
    const issues = issuesOf(() => loadTopology(file))
    expect(issues).toHaveLength(1)
    expect(issues[0]).toMatchObject({file, line: 7, field: 'services.redis.cluster.command'})
    expect(issues[0]!.message).toMatch(/argv.*not a shell string/)
  })

  it('refuses an unknown manager, a role path without a slash and an unknown role word', () => {
    expect(issuesOf(() => loadTopology(topology(`    cluster: {manager: pacemaker}`)))[0]!.message).toBe('cluster.manager must be one of: patroni, command, http')
    expect(issuesOf(() => loadTopology(topology(`    cluster: {manager: http, port: 8008, paths: {leader: primary}}`)))[0]).toMatchObject({field: 'services.redis.cluster.paths.leader', message: 'a role path must start with /'})
    expect(issuesOf(() => loadTopology(topology(`    cluster: {manager: command, command: [mysql], outputs: {'0': boss}}`)))[0]).toMatchObject({field: 'services.redis.cluster.outputs.0'})
  })

  it('observe asks the command reader through the engine exec; status shows an unreadable member as unknown', async () => {
    const t = loadTopology(topology(`    cluster: {manager: command, command: [redis-cli, role], ready_when: {leader: 1, replica: 1}}`))
    const containers: ContainerSummary[] = t.instances.map((i) => ({id: i.containerName, name: i.containerName, image: 'x', state: 'running', health: 'none', labels: {}, addresses: {[networkName(t.project, undefined)]: '10.0.0.1'}}))
    const execs: [string, string[]][] = []
    const engine = {
      listContainers: async () => containers,
      exec: async (id: string, argv: string[]) => {
        execs.push([id, argv])
        return id.endsWith('-a') ? {exitCode: 0, stdout: 'master\n', stderr: ''} : {exitCode: 1, stdout: '', stderr: 'Connection refused'}
      },
    }
    const seen = await observe(t, engine)
    expect(execs.sort()).toEqual([
      ['fd-cache-redis-a', ['redis-cli', 'role']],
      ['fd-cache-redis-b', ['redis-cli', 'role']],
    ])
    expect(seen.instances.map((o) => o.role)).toEqual(['leader', 'other'])
    expect(unhealthyReasons(seen)).toEqual(['redis: 0 of 1 streaming replica'])
    expect(statusTable(seen.instances)).toContain('unknown (redis-cli exited 1: Connection refused)')
  })
})
