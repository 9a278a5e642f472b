import {ClientClosedError, ErrorReply, SocketClosedUnexpectedlyError} from 'redis'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {loadDrill} from '../../src/config/load-drill.js'
import {classifyMysqlError} from '../../src/probes/mysql/write-probe.js'
import {classifyRedisError, NotReplicated} from '../../src/probes/redis/write-probe.js'
import {ProbeTimeout} from '../../src/probes/write-follower.js'
import {issuesOf} from '../support/config.js'
import {tempDir} from '../support/files.js'

describe('mysql-write classifies errors honestly', () => {
  const server = (errno: number, sqlState: string) => Object.assign(new Error('server said no'), {errno, sqlState, code: 'ER', fatal: false})
  it('a server error before anything applied is failed', () => {
    expect(classifyMysqlError(server(1290, 'HY000'))).toBe('failed') // read_only
    expect(classifyMysqlError(server(1062, '23000'))).toBe('failed') // duplicate key
    expect(classifyMysqlError(server(1205, 'HY000'))).toBe('failed') // lock wait timeout: rolled back
  })
  it('a lost connection, a shutdown or a timeout after sending is indeterminate', () => {
    expect(classifyMysqlError(Object.assign(new Error('Connection lost: The server closed the connection.'), {code: 'PROTOCOL_CONNECTION_LOST', fatal: true}))).toBe('indeterminate')
    expect(classifyMysqlError(Object.assign(new Error('read ECONNRESET'), {code: 'ECONNRESET', errno: -104, fatal: true}))).toBe('indeterminate')
    expect(classifyMysqlError(server(1053, '08S01'))).toBe('indeterminate') // server shutdown in progress
    expect(classifyMysqlError(server(1927, '70100'))).toBe('indeterminate') // connection killed
    expect(classifyMysqlError(new ProbeTimeout())).toBe('indeterminate')
  })
})

describe('redis-write classifies errors honestly', () => {
  it('an error reply, or a command never sent, is failed', () => {
    expect(classifyRedisError(new ErrorReply("READONLY You can't write against a read only replica."))).toBe('failed')
    expect(classifyRedisError(new ErrorReply('NOREPLICAS Not enough good replicas to write.'))).toBe('failed')
    expect(classifyRedisError(new ClientClosedError())).toBe('failed')
  })
  it('a reset after sending, a timeout, or a WAIT short of its replicas is indeterminate', () => {
    expect(classifyRedisError(new SocketClosedUnexpectedlyError())).toBe('indeterminate')
    expect(classifyRedisError(new ProbeTimeout())).toBe('indeterminate')
    expect(classifyRedisError(new NotReplicated('WAIT: 0 of 1 replicas confirmed within 500 ms'))).toBe('indeterminate')
  })
})

describe('mysql-write and redis-write in drills', () => {
  let tmp: ReturnType<typeof tempDir>
  beforeEach(() => {
    tmp = tempDir()
  })
  afterEach(() => tmp.cleanup())
  const topology = `name: fdkinds
sites: {a: {role: primary}, b: {role: standby}}
services:
  db: {sites: [a, b], image: x}
  redis: {sites: [a, b], image: x}
  sentinel: {sites: [a, b], image: x}
`
  const load = (probe: string, objectives = '{rto: 30s, rpo: 0s}') =>
    loadDrill(tmp.write('drill.yaml', `name: k\nobjectives: ${objectives}\nprobe:\n${probe}\nsteps:\n  - sleep: 1s\n`), {topology: tmp.write('topology.yaml', topology)})

  it('validates each kind with its defaults', () => {
    expect(load('  kind: mysql-write\n  service: db\n  database: firedrill\n  user: firedrill').drill.probe).toMatchObject({kind: 'mysql-write', port: 3306, password: ''})
    const redis = load('  kind: redis-write\n  service: redis\n  sentinels: {service: sentinel, master: messenger}\n  wait: {replicas: 1}').drill.probe
    expect(redis).toMatchObject({kind: 'redis-write', port: 6379, db: 0, sentinels: {service: 'sentinel', master: 'messenger', port: 26_379}, wait: {replicas: 1, timeout: 500}})
  })

  it('refuses, with file, line and field: a missing field, a misspelt one, a Sentinel service not in the topology, a bad master name', () => {
    expect(issuesOf(() => load('  kind: mysql-write\n  service: db\n  user: firedrill'))).toEqual([expect.objectContaining({field: 'probe.database', line: 4, message: expect.stringMatching(/^database is required/)})])
    expect(issuesOf(() => load('  kind: redis-write\n  service: redis\n  wiat: {replicas: 1}'))).toEqual([
      expect.objectContaining({field: 'probe.wiat', line: 6, message: 'unknown field "wiat"; did you mean "wait"?'}),
    ])
    expect(issuesOf(() => load('  kind: redis-write\n  service: redis\n  sentinels: {service: sentinels, master: m}'))).toEqual([
      expect.objectContaining({field: 'probe.sentinels.service', line: 6, message: expect.stringMatching(/^service "sentinels" is not in topology fdkinds/)}),
    ])
    // Named probes too (probes: {cache: ...}).
    const named = `name: k\nobjectives: {cache: {rto: 30s}}\nprobes:\n  cache: {kind: redis-write, service: redis, sentinels: {service: nosuch, master: m}}\nsteps:\n  - sleep: 1s\n`
    expect(issuesOf(() => loadDrill(tmp.write('named.yaml', named), {topology: tmp.write('topology.yaml', topology)}))).toEqual([
      expect.objectContaining({field: 'probes.cache.sentinels.service', line: 4, message: expect.stringMatching(/^service "nosuch" is not in topology fdkinds/)}),
    ])
    // WAIT runs inside the write the probe's timeout bounds (default 1 s).
    expect(issuesOf(() => load('  kind: redis-write\n  service: redis\n  timeout: 500ms\n  wait: {replicas: 1, timeout: 800ms}'))).toEqual([
      expect.objectContaining({field: 'probe.wait.timeout', line: 7, message: "wait.timeout (800 ms) must be shorter than the probe's timeout (500 ms), which bounds the whole write"}),
    ])
    expect(issuesOf(() => load('  kind: redis-write\n  service: redis\n  sentinels: {service: sentinel, master: "a b"}'))).toEqual([
      expect.objectContaining({field: 'probe.sentinels.master', line: 6}),
    ])
  })
})
