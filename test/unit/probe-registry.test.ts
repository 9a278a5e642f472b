import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {loadDrill} from '../../src/config/load-drill.js'
import {ConfigError} from '../../src/errors.js'
import {registerProbeKind} from '../../src/probes/registry.js'
import {issuesOf} from '../support/config.js'
import type {FakeCluster} from '../support/fake-cluster.js'
import {fakeWriteKind} from '../support/fake-cluster.js'
import {tempDir} from '../support/files.js'

const TOPOLOGY = `name: fdreg
sites:
  seoul: {role: primary}
services:
  postgres:
    sites: [seoul]
    image: firedrill/bank-node:15
`
const drill = (probe: string, objectives = '{rto: 30s}') => `name: reg
objectives: ${objectives}
probe:
${probe}
steps:
  - sleep: 1s
  - fault: kill
    target: {service: postgres, site: seoul}
`
const noCluster = (): FakeCluster => {
  throw new Error('not run here')
}

let tmp: ReturnType<typeof tempDir>
const undo: (() => void)[] = []
beforeEach(() => {
  tmp = tempDir()
})
afterEach(() => {
  while (undo.length > 0) undo.pop()!()
  tmp.cleanup()
})
const load = (text: string) => loadDrill(tmp.write('drill.yaml', text), {topology: tmp.write('topology.yaml', TOPOLOGY)})

describe('probe kinds are registered, not named by the runner', () => {
  it('a kind registered from a test: drills name it, with its own fields checked; removed, it is unknown again', () => {
    let remove = registerProbeKind(fakeWriteKind(noCluster, 'test-write'))
    undo.push(() => remove())
    const loaded = load(drill('  kind: test-write\n  service: postgres\n  interval: 50ms'))
    expect(loaded.drill.probe).toEqual({kind: 'test-write', service: 'postgres', interval: 50, timeout: 1000, stable_samples: 3, vantage: 'wan'})
    // Its schema is strict like every kind's: postgres-write's fields are not its own.
    expect(issuesOf(() => load(drill('  kind: test-write\n  service: postgres\n  password: x')))).toEqual([
      expect.objectContaining({field: 'probe.password', line: 6, message: expect.stringMatching(/^unknown field "password"/)}),
    ])
    // With two kinds, `kind:` picks the schema; an unknown kind is named with the known ones, at its line.
    expect(issuesOf(() => load(drill('  kind: nosuch-write\n  service: postgres')))).toEqual([
      expect.objectContaining({field: 'probe.kind', line: 4, message: 'probe kind must be one of: "postgres-write", "mysql-write", "redis-write", "http", "tcp", "command", "test-write"'}),
    ])
    expect(load(drill('  kind: postgres-write\n  service: postgres\n  password: x')).drill.probe).toMatchObject({kind: 'postgres-write', port: 5432, password: 'x'})
    remove()
    remove = () => {}
    expect(issuesOf(() => load(drill('  kind: test-write\n  service: postgres')))).toEqual([
      expect.objectContaining({field: 'probe.kind', line: 4, message: 'probe kind must be one of: "postgres-write", "mysql-write", "redis-write", "http", "tcp", "command"'}),
    ])
  })

  it('a drill asking a kind for what it cannot measure is refused at validation, with file, line and field', () => {
    undo.push(registerProbeKind(fakeWriteKind(noCluster, 'checks-only', {rpo: false, splitBrain: false, replicationLag: false})))
    const text = drill('  kind: checks-only\n  service: postgres', '{rto: 30s, rpo: 0s, split_brain: false}')
    expect(() => load(text)).toThrow(ConfigError)
    expect(issuesOf(() => load(text))).toEqual([
      expect.objectContaining({field: 'objectives.rpo', line: 2, message: 'probe kind checks-only cannot read its writes back, so it cannot measure rpo; kinds that can: postgres-write, mysql-write, redis-write, http (with write and read)'}),
      expect.objectContaining({field: 'objectives.split_brain', line: 2, message: 'probe kind checks-only cannot watch for split brain; kinds that can: postgres-write'}),
    ])
  })

  it('refuses a kind that claims a watch it cannot make', () => {
    expect(() => registerProbeKind(fakeWriteKind(noCluster, 'liar', {rpo: true, splitBrain: true, replicationLag: false}))).toThrow(/says it watches for split brain but has no splitBrainWatch/)
  })
})
