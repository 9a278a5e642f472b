import {describe, expect, it, vi} from 'vitest'

import type {ContainerSummary} from '../../src/engine/engine.js'
import {selectTargets} from '../../src/faults/targets.js'
import {classifyWriteError} from '../../src/probes/postgres/write-probe.js'
import type {Instance} from '../../src/model/topology.js'
import {checkHealthNow, unhealthyReasons, type ObservedInstance} from '../../src/topology/observe.js'
import {directRoute} from '../../src/topology/relay.js'

const pgError = (code: string) => Object.assign(new Error('server said no'), {code})

describe('classifyWriteError', () => {
  it('a definite server error means the write was not applied', () => {
    expect(classifyWriteError(pgError('25006'))).toBe('failed') // read-only transaction
    expect(classifyWriteError(pgError('23505'))).toBe('failed') // unique violation
  })
  it('the server going away around the commit leaves the write unknown', () => {
    expect(classifyWriteError(pgError('57P01'))).toBe('indeterminate') // admin shutdown
    expect(classifyWriteError(pgError('08006'))).toBe('indeterminate') // connection failure
    expect(classifyWriteError(pgError('XX000'))).toBe('indeterminate')
  })
  it('a timeout or a socket error leaves the write unknown', () => {
    expect(classifyWriteError(new Error('no answer before the probe timeout'))).toBe('indeterminate')
    expect(classifyWriteError(Object.assign(new Error('reset'), {code: 'ECONNRESET'}))).toBe('indeterminate')
  })
})

const instance = (service: string, site: string, cluster = service === 'postgres'): Instance => ({
  service,
  site,
  containerName: `fd-p-${service}-${site}`,
  hostname: `${service}-${site}`,
  image: 'img',
  env: {},
  ports: [],
  volumes: [],
  stopTimeoutMs: 10_000,
  health: {test: ['true'], interval: 1000, timeout: 1000, retries: 3, start_period: 0},
  cluster: cluster ? {manager: 'patroni', api_port: 8008, ready_when: {leader: 1, sync_standby: 1, replica: 1}} : undefined,
})
const container = (name: string, over: Partial<ContainerSummary> = {}): ContainerSummary => ({
  id: name,
  name,
  image: 'img',
  state: 'running',
  health: 'healthy',
  labels: {},
  addresses: {},
  ...over,
})
const observed = (service: string, site: string, extra: Partial<ObservedInstance> = {}, c: Partial<ContainerSummary> = {}): ObservedInstance => {
  const i = instance(service, site)
  return {instance: i, container: container(i.containerName, c), ...extra}
}
const healthy = (): ObservedInstance[] => [
  observed('etcd', 'a'),
  observed('postgres', 'a', {role: 'leader', memberState: 'running'}),
  observed('postgres', 'b', {role: 'sync_standby', memberState: 'running', streaming: true}),
  observed('postgres', 'c', {role: 'replica', memberState: 'running', streaming: true}),
]

describe('unhealthyReasons', () => {
  it('healthy: containers healthy, a leader, a streaming sync standby and a streaming replica', () => {
    expect(unhealthyReasons({instances: healthy(), strangers: [], route: directRoute})).toEqual([])
  })

  it('a standby Patroni calls running but the leader does not see streaming is not ready', () => {
    const instances = healthy()
    instances[3]!.streaming = false
    expect(unhealthyReasons({instances, strangers: [], route: directRoute})).toEqual(['postgres: 0 of 1 streaming replica'])
  })

  it('names missing containers, stopped ones, failing health checks and missing roles', () => {
    const instances = healthy()
    instances[0] = {instance: instance('etcd', 'a')}
    instances[1] = observed('postgres', 'a', {}, {state: 'exited'})
    instances[2]!.container!.health = 'starting'
    expect(unhealthyReasons({instances, strangers: [], route: directRoute})).toEqual([
      'etcd@a: no container',
      'postgres@a: exited',
      'postgres@b: health starting',
      'postgres: 0 of 1 leader',
    ])
  })
})

describe('checkHealthNow: readiness does not wait for the engine\'s next (rare) health check', () => {
  it('runs the test where the engine has not said healthy, in the container, with its timeout; a pass counts as healthy, a failure names what it said', async () => {
    const instances = healthy()
    instances[0]!.container!.health = 'starting'
    instances[2]!.container!.health = 'unhealthy'
    instances[3]!.container!.state = 'exited'
    const exec = vi.fn(async (id: string, argv: string[], opts?: {timeoutMs?: number}) => {
      expect(argv).toEqual(['true'])
      expect(opts?.timeoutMs).toBe(1000)
      return id === 'fd-p-etcd-a' ? {exitCode: 0, stdout: '{"health":"true"}', stderr: ''} : {exitCode: 22, stdout: '', stderr: 'curl: (22) The requested URL returned error: 503\n'}
    })
    const seen = {instances, strangers: [], route: directRoute}
    await checkHealthNow(seen, {exec})
    // Only where the engine's word is not healthy, and only running containers.
    expect(exec.mock.calls.map((c) => c[0]).sort()).toEqual(['fd-p-etcd-a', 'fd-p-postgres-b'])
    expect(instances[0]!.healthNow).toEqual({ok: true, detail: 'passes'})
    expect(unhealthyReasons(seen)).toEqual([
      'postgres@b: health check failing (exit 22: curl: (22) The requested URL returned error: 503)',
      'postgres@c: exited',
    ])
  })

  it('within one wait, a check that passed is not run again for 5 s; one that failed is run every time', async () => {
    let now = 0
    const passes = {clock: {now: () => now}, byContainer: new Map<string, number>()}
    const exec = vi.fn(async (id: string) => (id === 'fd-p-etcd-a' ? {exitCode: 0, stdout: '', stderr: ''} : {exitCode: 1, stdout: '', stderr: 'no'}))
    const round = async () => {
      const instances = healthy()
      instances[0]!.container!.health = 'starting'
      instances[1]!.container!.health = 'starting'
      const seen = {instances, strangers: [], route: directRoute}
      await checkHealthNow(seen, {exec}, passes)
      return seen
    }
    await round()
    expect(exec).toHaveBeenCalledTimes(2)
    now = 4000
    const again = await round()
    expect(exec.mock.calls.map((c) => c[0])).toEqual(['fd-p-etcd-a', 'fd-p-postgres-a', 'fd-p-postgres-a'])
    expect(again.instances[0]!.healthNow).toEqual({ok: true, detail: 'passes'})
    now = 5500
    await round()
    expect(exec).toHaveBeenCalledTimes(5)
  })

  it('an exec that fails (engine error, timeout) is a failing check, not a crash', async () => {
    const instances = healthy()
    instances[1]!.container!.health = 'starting'
    const seen = {instances, strangers: [], route: directRoute}
    await checkHealthNow(seen, {exec: async () => Promise.reject(new Error('true in fd-p-postgres-a took longer than 1000 ms'))})
    expect(unhealthyReasons(seen)).toEqual(['postgres@a: health check failing (true in fd-p-postgres-a took longer than 1000 ms)'])
  })
})

describe('selectTargets', () => {
  const seen = healthy()
  it('a role is whoever holds it now', () => {
    expect(selectTargets({service: 'postgres', role: 'leader'}, seen).map((o) => o.instance.site)).toEqual(['a'])
    seen[1]!.role = 'replica'
    seen[2]!.role = 'leader'
    expect(selectTargets({service: 'postgres', role: 'leader'}, seen).map((o) => o.instance.site)).toEqual(['b'])
  })
  it('by site selects every running container of the site; stopped ones are not targets', () => {
    expect(selectTargets({site: 'a'}, seen).map((o) => o.instance.service)).toEqual(['etcd', 'postgres'])
    seen[0]!.container!.state = 'exited'
    expect(selectTargets({site: 'a'}, seen).map((o) => o.instance.service)).toEqual(['postgres'])
  })
})
