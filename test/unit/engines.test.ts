import {mkdirSync} from 'node:fs'
import {homedir} from 'node:os'
import path from 'node:path'

import {afterEach, beforeEach, describe, expect, it, vi} from 'vitest'

import {loadTopology} from '../../src/config/load-topology.js'
import type {SwarmState} from '../../src/engine/docker.js'
import type {ContainerSummary, Engine} from '../../src/engine/engine.js'
import {EngineSet, type Member, type MemberEngine} from '../../src/engine/engine-set.js'
import {checkLock, holdLock, LOCK_TOKEN, removeStaleLock, type LockStore} from '../../src/engine/engine-lock.js'
import {EngineUnavailableError, EnvironmentError, ProjectBusyError} from '../../src/errors.js'
import {LABEL} from '../../src/engine/labels.js'
import {copyProblems} from '../../src/topology/copies.js'
import {issuesOf} from '../support/config.js'
import {tempDir} from '../support/files.js'

let tmp: ReturnType<typeof tempDir>
beforeEach(() => {
  tmp = tempDir()
})
afterEach(() => tmp.cleanup())

const topology = (head: string, sites = '  a: {role: primary, engine: one}\n  b: {role: standby, engine: two}\n') => `name: t1
${head}sites:
${sites}services:
  web:
    sites: [a, b]
    image: nginx
`
const ENGINES = 'engines:\n  one: {host: "tcp://10.0.0.1:2375", insecure: true}\n  two: {host: "ssh://ops@10.0.0.2"}\n'

describe('where each site runs (topology engines:)', () => {
  it('without engines every site is on the local engine, with bridge networks as always', () => {
    const t = loadTopology(tmp.write('t.yaml', topology('', '  a: {role: primary}\n  b: {role: standby}\n')))
    expect(t.engines).toEqual([{name: 'local', endpoint: {kind: 'local'}, describe: expect.stringContaining('local')}])
    expect(t.sites.map((s) => s.engine)).toEqual(['local', 'local'])
    expect(new Set(t.networks.map((n) => n.driver))).toEqual(new Set(['bridge']))
  })

  it('sites on two engines: one plan per engine, overlay networks, secrets never in the description', () => {
    const t = loadTopology(tmp.write('t.yaml', topology(ENGINES + 'wan: {encrypted: true}\n')))
    expect(t.engines.map((e) => [e.name, e.describe])).toEqual([['one', 'tcp://10.0.0.1:2375'], ['two', 'ssh://ops@10.0.0.2:22']])
    expect(t.engines[1]!.endpoint).toEqual({kind: 'ssh', host: '10.0.0.2', port: 22, username: 'ops', knownHosts: path.join(homedir(), '.ssh', 'known_hosts')})
    expect(t.networks.every((n) => n.driver === 'overlay' && n.encrypted)).toBe(true)
  })

  it('run --parallel refuses to copy a topology whose sites span engines, at its engines line', () => {
    const file = tmp.write('t.yaml', topology(ENGINES))
    expect(copyProblems(loadTopology(file))!.issues).toEqual([expect.objectContaining({file, line: 3, field: 'engines', message: expect.stringMatching(/run on 2 engines; run --parallel makes copies of topologies on one engine only/)})])
  })

  it('every site on one remote engine: bridge networks there', () => {
    const t = loadTopology(tmp.write('t.yaml', topology('engines:\n  one: {host: "tcp://10.0.0.1:2375", insecure: true}\n', '  a: {role: primary, engine: one}\n  b: {role: standby, engine: one}\n')))
    expect(t.engines.map((e) => e.name)).toEqual(['one'])
    expect(t.networks.every((n) => n.driver === 'bridge')).toBe(true)
  })

  it('a site naming an unknown engine, and an engine no site uses: file, line and field', () => {
    const file = tmp.write('t.yaml', topology(ENGINES + '  three: {host: "ssh://ops@10.0.0.3"}\n', '  a: {role: primary, engine: one}\n  b: {role: standby, engine: twoo}\n'))
    expect(issuesOf(() => loadTopology(file))).toEqual([
      expect.objectContaining({line: 8, field: 'sites.b.engine', message: expect.stringMatching(/engine "twoo" is not declared under engines \(declared: one, two, three\)/)}),
      expect.objectContaining({line: 4, field: 'engines.two', message: expect.stringMatching(/not used by any site/)}),
      expect.objectContaining({line: 5, field: 'engines.three', message: expect.stringMatching(/not used by any site/)}),
    ])
  })

  it('plain tcp without TLS is refused unless said insecure; a password in the address is refused; TLS files must exist', () => {
    const file = tmp.write('t.yaml', topology('engines:\n  one: {host: "tcp://10.0.0.1:2375"}\n  two: {host: "ssh://ops:hunter2@10.0.0.2"}\n'))
    expect(issuesOf(() => loadTopology(file))).toEqual([
      expect.objectContaining({field: 'engines.one.host', message: expect.stringMatching(/unauthenticated engine/)}),
      expect.objectContaining({field: 'engines.two.host', message: expect.stringMatching(/password .* would be a secret/)}),
    ])
    const tls = tmp.write('t2.yaml', topology('engines:\n  one: {host: "tcp://10.0.0.1:2376", tls: {ca: ca.pem, cert: cert.pem, key: missing.pem}}\n  two: {host: "ssh://ops@10.0.0.2"}\n'))
    tmp.write('ca.pem', 'x')
    tmp.write('cert.pem', 'x')
    expect(issuesOf(() => loadTopology(tls))).toEqual([expect.objectContaining({field: 'engines.one.tls.key', message: expect.stringMatching(/no such file: .*missing\.pem/)})])
  })

  it('TLS from a directory an environment variable names (DOCKER_CERT_PATH style), unset: refused naming the variable', () => {
    const file = tmp.write('t.yaml', topology('engines:\n  one: {host: "tcp://10.0.0.1:2376", tls: {dir_env: FD_TEST_NO_SUCH_CERTS}}\n  two: {host: "ssh://ops@10.0.0.2"}\n'))
    expect(issuesOf(() => loadTopology(file))).toEqual([expect.objectContaining({field: 'engines.one.tls.dir_env', message: expect.stringMatching(/FD_TEST_NO_SUCH_CERTS is not set/)})])
  })

  it('ssh:// with a private key file and a known_hosts file by path (relative to the topology), never the key itself', () => {
    mkdirSync(path.join(tmp.dir, 'keys'))
    tmp.write('keys/id_ed25519', 'x')
    tmp.write('keys/known_hosts', '')
    const t = loadTopology(tmp.write('t.yaml', topology('engines:\n  one: {host: "tcp://10.0.0.1:2375", insecure: true}\n  two: {host: "ssh://root@10.0.0.2:2222", ssh: {private_key: keys/id_ed25519, known_hosts: keys/known_hosts}}\n')))
    expect(t.engines[1]).toEqual({
      name: 'two',
      describe: 'ssh://root@10.0.0.2:2222',
      endpoint: {kind: 'ssh', host: '10.0.0.2', port: 2222, username: 'root', privateKey: path.join(tmp.dir, 'keys/id_ed25519'), knownHosts: path.join(tmp.dir, 'keys/known_hosts')},
    })
  })

  it('ssh:// files that do not exist, an unset key variable, and ssh/tls/insecure on the wrong kind of engine: file, line and field', () => {
    const file = tmp.write('t.yaml', topology('engines:\n  one: {host: "tcp://10.0.0.1:2376", insecure: true, ssh: {known_hosts: kh}}\n  two: {host: "ssh://ops@10.0.0.2", insecure: true, ssh: {private_key: nokey, known_hosts: nokh}}\n'))
    expect(issuesOf(() => loadTopology(file))).toEqual([
      expect.objectContaining({line: 3, field: 'engines.one.ssh', message: 'ssh applies to ssh:// engines only'}),
      expect.objectContaining({line: 4, field: 'engines.two.insecure', message: expect.stringMatching(/ssh:\/\/ is always authenticated/)}),
      expect.objectContaining({line: 4, field: 'engines.two.ssh.private_key', message: expect.stringMatching(/no such file: .*nokey$/)}),
      expect.objectContaining({line: 4, field: 'engines.two.ssh.known_hosts', message: expect.stringMatching(/no such file: .*nokh$/)}),
    ])
    const env = tmp.write('t2.yaml', topology('engines:\n  one: {host: "tcp://10.0.0.1:2376", insecure: true}\n  two: {host: "ssh://ops@10.0.0.2", ssh: {private_key_env: FD_TEST_NO_SUCH_KEY}}\n'))
    expect(issuesOf(() => loadTopology(env))).toEqual([expect.objectContaining({field: 'engines.two.ssh.private_key_env', message: expect.stringMatching(/FD_TEST_NO_SUCH_KEY is not set/)})])
    const both = tmp.write('t3.yaml', topology('engines:\n  one: {host: "tcp://10.0.0.1:2376", insecure: true}\n  two: {host: "ssh://ops@10.0.0.2", ssh: {private_key: a, private_key_env: B}}\n'))
    expect(issuesOf(() => loadTopology(both))).toEqual([expect.objectContaining({field: 'engines.two.ssh', message: expect.stringMatching(/not both/)})])
  })

  it('wan.encrypted on one engine is refused (it means IPsec between hosts)', () => {
    const file = tmp.write('t.yaml', topology('wan: {encrypted: true}\n', '  a: {role: primary}\n  b: {role: standby}\n'))
    expect(issuesOf(() => loadTopology(file))).toEqual([expect.objectContaining({field: 'wan.encrypted'})])
  })
})

/** A fake engine: the calls the set routes, recorded. */
function fakeEngine(name: string, opts: {containers?: ContainerSummary[]; swarm?: Partial<SwarmState>; down?: boolean; images?: string[]} = {}): MemberEngine & {calls: string[]} {
  const calls: string[] = []
  const containers = [...(opts.containers ?? [])]
  const images = new Set(opts.images ?? [])
  const configs = new Map<string, Record<string, string>>()
  const rec = (what: string) => async (...args: unknown[]) => {
    calls.push(`${what} ${args.filter((a) => typeof a === 'string').join(' ')}`.trim())
  }
  const engine = {
    calls,
    describeEndpoint: () => name,
    endpoint: () => ({describe: name, publishedHost: name, remote: true}),
    info: vi.fn(async () => {
      if (opts.down) throw new EngineUnavailableError(`cannot reach ${name} (ECONNREFUSED)`)
      return {version: '20.10.24', apiVersion: '1.41', os: 'linux'}
    }),
    swarmState: async () => ({state: 'active', clusterId: 'c1', manager: true, managerAddrs: [], nodeAddr: `${name}-addr`, ...opts.swarm}),
    swarmJoinToken: async () => 'SWMTKN-1-abc',
    configs,
    createSwarmConfig: async (n: string, labels: Record<string, string>) => {
      const existing = configs.get(n)
      if (existing) return {created: false, labels: existing}
      configs.set(n, labels)
      return {created: true}
    },
    inspectSwarmConfig: async (n: string) => configs.get(n),
    removeSwarmConfig: async (n: string) => void configs.delete(n),
    copyImageTo: async (ref: string, other: {images: Set<string>}) => {
      calls.push(`copy ${ref}`)
      other.images.add(ref)
    },
    images,
    imageId: async (ref: string) => (images.has(ref) ? `sha256:${ref}` : undefined),
    createContainer: async (req: {name: string}) => {
      calls.push(`create ${req.name}`)
      containers.push({id: `${name}-${req.name}`, name: req.name, image: 'x', state: 'created', health: 'none', labels: {}, addresses: {}})
      return `${name}-${req.name}`
    },
    listContainers: async () => containers,
    findContainerByName: async (n: string) => containers.find((c) => c.name === n),
    createNetwork: async (req: {name: string; driver?: string}) => {
      calls.push(`network ${req.name} ${req.driver}`)
      return req.name
    },
    listNetworks: async () => [],
    createVolume: async (req: {name: string}) => {
      calls.push(`volume ${req.name}`)
    },
    listVolumes: async () => [],
    killContainer: rec('kill'),
    startContainer: rec('start'),
    close: () => undefined,
  }
  return engine as unknown as MemberEngine & {calls: string[]}
}

const member = (name: string, engine: MemberEngine): Member => ({name, describe: `tcp://${name}:2375`, engine})
const site = (s: string) => ({[LABEL.site]: s, [LABEL.project]: 'p'})

describe('EngineSet: every call on the engine of its site', () => {
  it('creates each container and volume on its site\'s engine and networks on the first; acts on a container where it is', async () => {
    const one = fakeEngine('one')
    const two = fakeEngine('two')
    const set = new EngineSet([member('one', one), member('two', two)], new Map([['a', 'one'], ['b', 'two']]))
    await set.createNetwork({name: 'wan', labels: {}, driver: 'overlay'})
    await set.createVolume({name: 'vb', labels: site('b')})
    const id = await set.createContainer({name: 'web-b', labels: site('b')} as never)
    await set.killContainer(id, 'SIGKILL')
    // A fresh set (another firedrill process) finds the container by asking every engine.
    const again = new EngineSet([member('one', one), member('two', two)], new Map([['a', 'one'], ['b', 'two']]))
    await again.startContainer('web-b')
    expect(one.calls).toEqual(['network wan overlay'])
    expect(two.calls).toEqual(['volume vb', 'create web-b', `kill ${id} SIGKILL`, 'start web-b'])
  })

  it('a helper in another container\'s namespace goes to that container\'s engine', async () => {
    const one = fakeEngine('one')
    const two = fakeEngine('two', {containers: [{id: 'abc123abc123', name: 'db-b', image: 'x', state: 'running', health: 'none', labels: {}, addresses: {}}]})
    const set = new EngineSet([member('one', one), member('two', two)], new Map())
    await set.createContainer({name: 'helper', labels: {}, networkMode: {container: 'abc123abc123'}} as never)
    expect(two.calls).toEqual(['create helper'])
    expect(one.calls).toEqual([])
  })

  it('an image on one engine is copied to the engines without it', async () => {
    const one = fakeEngine('one', {images: ['img:1']})
    const two = fakeEngine('two')
    const set = new EngineSet([member('one', one), member('two', two)], new Map())
    expect(await set.imageId('img:1')).toBe('sha256:img:1')
    expect(one.calls).toEqual(['copy img:1'])
    expect(await set.imageId('img:2')).toBeUndefined()
    // Only on this machine's engine (built here): loaded onto every engine of the topology.
    const here = fakeEngine('here', {images: ['img:3']})
    const three = fakeEngine('three')
    const withSource = new EngineSet([member('two', two), member('three', three)], new Map(), here)
    expect(await withSource.imageId('img:3')).toBe('sha256:img:3')
    expect(here.calls).toEqual(['copy img:3', 'copy img:3'])
    expect(await three.imageId('img:3')).toBe('sha256:img:3')
  })

  it('an engine that does not answer is named (exit 3), and the others are still asked', async () => {
    const set = new EngineSet([member('one', fakeEngine('one')), member('two', fakeEngine('two', {down: true}))], new Map())
    const error = await set.info().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(EngineUnavailableError)
    expect((error as Error).message).toMatch(/^cannot reach engine two \(tcp:\/\/two:2375\)/)
    const ok = new EngineSet([member('one', fakeEngine('one')), member('two', fakeEngine('two'))], new Map())
    expect((await ok.info()).engines?.map((e) => e.name)).toEqual(['one', 'two'])
  })

  it('an engine outside the swarm: the exact docker swarm join command, nothing joined', async () => {
    const set = new EngineSet([member('one', fakeEngine('one')), member('two', fakeEngine('two', {swarm: {state: 'inactive', clusterId: undefined}}))], new Map())
    const error = (await set.checkSwarm().catch((e: unknown) => e)) as EnvironmentError
    expect(error).toBeInstanceOf(EnvironmentError)
    expect(error.message).toMatch(/engine two \(tcp:\/\/two:2375\) is not in the swarm of one/)
    expect(error.suggestions[0]).toBe("on two's host: docker swarm join --token SWMTKN-1-abc one-addr:2377")
    await expect(new EngineSet([member('one', fakeEngine('one')), member('two', fakeEngine('two'))], new Map()).checkSwarm()).resolves.toBeUndefined()
  })
})

describe('the swarm lock: one drill per topology across machines', () => {
  it('held as a labelled swarm config on the first engine; a second holder is refused naming the first (exit 2); released, it can be taken again', async () => {
    const one = fakeEngine('one') as unknown as MemberEngine & {configs: Map<string, Record<string, string>>}
    const set = new EngineSet([member('one', one), member('two', fakeEngine('two'))], new Map())
    const release = await set.holdEngineLock('bank', {pid: 41, host: 'runner-a', started_at: '2026-12-01T10:00:00Z', command: 'run drills/kill-primary.yaml'})
    expect(one.configs.get('fd-bank-lock')).toMatchObject({'io.firedrill.project.lock': 'bank', 'io.firedrill.holder.host': 'runner-a'})
    const busy = (await set.holdEngineLock('bank', {pid: 7, host: 'runner-b', started_at: 'now', command: 'up'}).catch((e: unknown) => e)) as ProjectBusyError
    expect(busy).toBeInstanceOf(ProjectBusyError)
    expect(busy.exitCode).toBe(2)
    expect(busy.message).toMatch(/^topology bank is in use by another firedrill \(pid 41 on runner-a, since 2026-12-01T10:00:00Z: run drills\/kill-primary\.yaml\)/)
    await release()
    expect(one.configs.size).toBe(0)
    await expect(set.holdEngineLock('bank', {pid: 7, host: 'runner-b', started_at: 'now', command: 'up'})).resolves.toBeTypeOf('function')
    // Left by a process of this host that is gone (no pid 999999999 exists): taken over.
    one.configs.set('fd-gone-lock', {'io.firedrill.holder.host': 'here', 'io.firedrill.holder.pid': '999999999'})
    await expect(set.holdEngineLock('gone', {pid: process.pid, host: 'here', started_at: 'now', command: 'up'})).resolves.toBeTypeOf('function')
    expect(one.configs.get('fd-gone-lock')?.['io.firedrill.holder.pid']).toBe(String(process.pid))
  })
})

describe('the lock on one engine', () => {
  // A volume: creation is create-or-get by name, so the labels of the one that exists say whose it is.
  const volumes = () => {
    const held = new Map<string, Record<string, string>>()
    const store: LockStore = {
      what: 'the volume',
      where: 'tcp://db-host:2376',
      removeCommand: 'volume rm',
      create: async (name, labels) => {
        if (!held.has(name)) held.set(name, labels)
        const now = held.get(name)!
        return now[LOCK_TOKEN] === labels[LOCK_TOKEN] ? {created: true} : {created: false, labels: now}
      },
      inspect: async (name) => held.get(name),
      remove: async (name) => void held.delete(name),
    }
    return {held, store}
  }
  const alive = (pid: number) => pid !== 999999999

  it('a second runner is refused naming the first and how to free it by hand; released, the volume is gone', async () => {
    const {held, store} = volumes()
    const release = await holdLock('bank', {pid: 41, host: 'runner-a', started_at: 't0', command: 'run x'}, store, alive)
    const error = (await holdLock('bank', {pid: 7, host: 'runner-b', started_at: 't1', command: 'up'}, store, alive).catch((e: unknown) => e)) as ProjectBusyError
    expect(error).toBeInstanceOf(ProjectBusyError)
    expect(error.message).toBe('topology bank is in use by another firedrill (pid 41 on runner-a, since t0: run x), as the volume fd-bank-lock on its engine says; one drill per topology at a time')
    expect(error.suggestions).toEqual(['wait for it to finish; if that firedrill is gone for good: docker -H tcp://db-host:2376 volume rm fd-bank-lock'])
    // The refused runner's create-or-get changed nothing.
    expect(held.get('fd-bank-lock')?.['io.firedrill.holder.host']).toBe('runner-a')
    await release()
    expect(held.size).toBe(0)
  })

  it("this host's dead firedrill's lock is taken over (run) or removed (cleanup, down); a live or another host's is not", async () => {
    const {held, store} = volumes()
    held.set('fd-bank-lock', {'io.firedrill.holder.host': 'here', 'io.firedrill.holder.pid': '999999999'})
    expect(await removeStaleLock('bank', 'elsewhere', store, alive)).toBe(false)
    expect(await removeStaleLock('bank', 'here', store, alive)).toBe(true)
    held.set('fd-bank-lock', {'io.firedrill.holder.host': 'here', 'io.firedrill.holder.pid': '999999999'})
    await holdLock('bank', {pid: 5, host: 'here', started_at: 't', command: 'run'}, store, alive)
    expect(held.get('fd-bank-lock')?.['io.firedrill.holder.pid']).toBe('5')
    expect(await removeStaleLock('bank', 'here', store, alive)).toBe(false)
  })

  it("a runner on the engine's own host checks the lock and takes nothing", async () => {
    const {held, store} = volumes()
    await expect(checkLock('bank', 'here', store, alive)).resolves.toBeUndefined()
    expect(held.size).toBe(0)
    held.set('fd-bank-lock', {'io.firedrill.holder.host': 'runner-a', 'io.firedrill.holder.pid': '41'})
    await expect(checkLock('bank', 'here', store, alive)).rejects.toThrow(/in use by another firedrill \(pid 41 on runner-a/)
  })
})

export type {Engine}
