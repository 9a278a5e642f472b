/**
 * Sites on several Docker engines (issue 14), behind the one Engine interface the rest of firedrill uses.
 *
 * Each call goes to the engine that holds what it acts on: a container is created on its site's engine
 * (the io.firedrill.site label), a helper in another container's namespace on that container's engine,
 * anything without a site (the relay, the lock) on the first engine; a call naming a container or
 * volume by id or name goes to the engine found holding it. Lists are the union over every engine, so
 * `down`, `cleanup` and observe see the whole topology. Networks spanning engines are swarm-scoped
 * overlays created on the first engine (a manager: `up` checks the swarm first). Images missing on an
 * engine are copied there from one that has them (`docker save | docker load`), or built on each.
 */
import {EngineUnavailableError, EnvironmentError, errorMessage} from '../errors.js'
import type {EngineInfo} from '../model/result.js'
import type {ContainerCreateRequest, ContainerSummary, Engine, ExecResult, ImageBuildRequest, NetworkSummary, VolumeSummary} from './engine.js'
import {holdLock, removeStaleLock, type Holder, type LockStore} from './engine-lock.js'
import {LABEL, type Labels} from './labels.js'
import type {SwarmState} from './docker.js'
import type {EngineEndpoint} from './endpoint.js'

/** What the set needs of one member beyond Engine: copying images, the swarm, and naming it in messages. */
export interface MemberEngine extends Engine {
  describeEndpoint(): string
  endpoint(): EngineEndpoint
  swarmState(): Promise<SwarmState>
  swarmJoinToken(): Promise<string>
  createSwarmConfig(name: string, labels: Record<string, string>): Promise<{created: true} | {created: false; labels: Record<string, string>}>
  inspectSwarmConfig(name: string): Promise<Record<string, string> | undefined>
  removeSwarmConfig(name: string): Promise<void>
  copyImageTo(ref: string, other: this): Promise<void>
}

export interface Member {
  /** The engine's name in the topology (`engines:`). */
  name: string
  /** Where it is, without secrets (tcp://host:port, ssh://user@host). */
  describe: string
  engine: MemberEngine
}

export class EngineSet implements Engine {
  private readonly containers = new Map<string, Member>()
  private readonly volumes = new Map<string, Member>()

  constructor(
    readonly members: readonly Member[],
    /** site → engine name */
    private readonly siteEngine: ReadonlyMap<string, string>,
    /** This machine's engine (DOCKER_HOST or the socket), when none of the members is: images found only there are loaded from it. */
    private readonly imageSource?: MemberEngine,
  ) {
    if (members.length === 0) throw new Error('an engine set needs at least one engine')
  }

  /** The first engine: where overlays and site-less containers are created. */
  get manager(): Member {
    return this.members[0]!
  }

  memberNamed(name: string): Member | undefined {
    return this.members.find((m) => m.name === name)
  }

  memberOfSite(site: string): Member {
    const name = this.siteEngine.get(site)
    return (name === undefined ? undefined : this.memberNamed(name)) ?? this.manager
  }

  /** Where the first engine runs: the relay (a site-less container) is created there and publishes its ports on its host. */
  endpoint(): EngineEndpoint {
    return this.manager.engine.endpoint()
  }

  describeEndpoint(): string {
    return this.members.map((m) => `${m.name} (${m.describe})`).join(', ')
  }

  close(): void {
    for (const m of this.members) m.engine.close()
    this.imageSource?.close()
  }

  /** Every engine answers, or one sentence naming the one that does not (exit 3), before anything is created. */
  async info(): Promise<EngineInfo> {
    const answers = await Promise.allSettled(this.members.map((m) => m.engine.info()))
    const down = answers.flatMap((a, i) => (a.status === 'rejected' ? [{m: this.members[i]!, error: a.reason as unknown}] : []))
    if (down.length > 0) {
      const names = down.map((d) => `${d.m.name} (${d.m.describe}): ${errorMessage(d.error)}`)
      throw new EngineUnavailableError(`cannot reach engine ${names.join('; engine ')}`, [
        'check that dockerd runs on that host and that this machine reaches it (docker -H ADDRESS info)',
        'nothing was started on any engine',
      ])
    }
    const infos = answers.map((a) => (a as PromiseFulfilledResult<EngineInfo>).value)
    return {...infos[0]!, engines: infos.map((info, i) => ({name: this.members[i]!.name, endpoint: this.members[i]!.describe, ...(info.transport ? {transport: info.transport} : {}), version: info.version, apiVersion: info.apiVersion, os: info.os}))}
  }

  /**
   * Every engine is an active member of one swarm, the first a manager; otherwise the exact command to run
   * on each engine that is not (firedrill never initialises or joins a swarm itself).
   */
  async checkSwarm(): Promise<void> {
    const states = await Promise.all(this.members.map(async (m) => ({m, s: await m.engine.swarmState()})))
    const first = states[0]!
    if (first.s.state !== 'active' || !first.s.manager) {
      throw new EnvironmentError(`engine ${first.m.name} (${first.m.describe}) is not a swarm manager (swarm: ${first.s.state}); sites on several engines share overlay networks, which need a swarm`, [
        `on ${first.m.name}'s host: docker swarm init --advertise-addr ADDRESS (then join the others with the command it prints)`,
        'firedrill never initialises or joins a swarm on its own',
      ])
    }
    const outside = states.filter((x) => x.s.state !== 'active' || x.s.clusterId !== first.s.clusterId)
    if (outside.length === 0) return
    const token = await first.m.engine.swarmJoinToken()
    const addr = first.s.nodeAddr ? `${first.s.nodeAddr}:2377` : (first.s.managerAddrs[0] ?? 'MANAGER-ADDRESS:2377')
    throw new EnvironmentError(
      outside.map((x) => `engine ${x.m.name} (${x.m.describe}) is not in the swarm of ${first.m.name} (its swarm: ${x.s.state}${x.s.clusterId ? `, cluster ${x.s.clusterId}` : ''})`).join('\n'),
      [
        ...outside.map((x) => `on ${x.m.name}'s host${x.s.state === 'active' ? ' (after docker swarm leave)' : ''}: docker swarm join --token ${token} ${addr}`),
        'firedrill never initialises or joins a swarm on its own',
      ],
    )
  }

  /** The topology's lock in the swarm of its engines (a labelled swarm config on the first), seen by runners on every machine. */
  async holdEngineLock(project: string, holder: Holder): Promise<() => Promise<void>> {
    return holdLock(project, holder, this.lockStore())
  }

  async removeStaleLock(project: string, host: string): Promise<boolean> {
    return removeStaleLock(project, host, this.lockStore())
  }

  private lockStore(): LockStore {
    const engine = this.manager.engine
    return {
      what: 'the swarm config',
      where: this.manager.describe,
      removeCommand: 'config rm',
      create: (name, labels) => engine.createSwarmConfig(name, labels),
      inspect: (name) => engine.inspectSwarmConfig(name),
      remove: (name) => engine.removeSwarmConfig(name),
    }
  }

  // Images: present on every engine, copied from one that has it, or built on each.

  async imageId(ref: string): Promise<string | undefined> {
    const ids = await Promise.all(this.members.map((m) => m.engine.imageId(ref)))
    const member = this.members.find((_, i) => ids[i] !== undefined)?.engine
    // Not on any engine of the topology: on this machine's, perhaps (built here; unreachable counts as absent).
    const local = member ? undefined : await this.imageSource?.imageId(ref).catch(() => undefined)
    const source = member ?? (local ? this.imageSource : undefined)
    if (!source) return undefined
    await Promise.all(this.members.filter((_, i) => ids[i] === undefined).map((m) => source.copyImageTo(ref, m.engine)))
    return ids.find((id) => id !== undefined) ?? local
  }

  async buildImage(req: ImageBuildRequest, onLine?: (line: string) => void): Promise<string> {
    const ids = await Promise.all(this.members.map((m) => m.engine.buildImage(req, (line) => onLine?.(`${m.name}: ${line}`))))
    return ids[0]!
  }

  // Networks: overlays live on the swarm (created on the manager, listed by every manager).

  async createNetwork(req: {name: string; labels: Labels; subnet?: string; driver?: 'bridge' | 'overlay'; encrypted?: boolean}): Promise<string> {
    return this.manager.engine.createNetwork(req)
  }

  async listNetworks(labelFilters: string[]): Promise<NetworkSummary[]> {
    const lists = await Promise.all(this.members.map((m) => m.engine.listNetworks(labelFilters)))
    const byId = new Map<string, NetworkSummary>()
    for (const n of lists.flat()) if (!byId.has(n.id)) byId.set(n.id, n)
    return [...byId.values()]
  }

  async findNetworkByName(name: string): Promise<NetworkSummary | undefined> {
    for (const m of this.members) {
      const n = await m.engine.findNetworkByName(name)
      if (n) return n
    }
    return undefined
  }

  async removeNetwork(id: string): Promise<void> {
    // An overlay is removed once for the swarm; a bridge network on the engine holding it. Not found is fine.
    // The swarm lets go of a removed container's attachment to an overlay a moment later ("in use by task"):
    // asked again for up to 30 s.
    for (const m of this.members) {
      for (let waited = 0; ; waited += 500) {
        try {
          await m.engine.removeNetwork(id)
          break
        } catch (error) {
          if (waited >= 30_000 || !/in use by task|has active endpoints/.test(errorMessage(error))) throw error
          await new Promise((resolve) => setTimeout(resolve, 500))
        }
      }
    }
    // An engine of the swarm lets go of its copy of a removed overlay a moment later: removed means gone
    // from every engine's list (waited on for up to 15 s), so `down` never reports what is still listed.
    for (let waited = 0; waited < 15_000; waited += 250) {
      const still = await Promise.all(this.members.map(async (m) => (await m.engine.listNetworks([])).some((n) => n.id === id)))
      if (!still.includes(true)) return
      await new Promise((resolve) => setTimeout(resolve, 250))
    }
  }

  async inspectNetwork(id: string): Promise<unknown> {
    let last: unknown
    for (const m of this.members) {
      try {
        return await m.engine.inspectNetwork(id)
      } catch (error) {
        last = error
      }
    }
    throw last
  }

  // Volumes: on the engine of their instance's site.

  async createVolume(req: {name: string; labels: Labels; sizeBytes?: number}): Promise<void> {
    const m = this.placeOf(req.labels)
    await m.engine.createVolume(req)
    this.volumes.set(req.name, m)
  }

  async listVolumes(labelFilters: string[]): Promise<VolumeSummary[]> {
    const lists = await Promise.all(this.members.map(async (m) => (await m.engine.listVolumes(labelFilters)).map((v) => ({m, v}))))
    for (const {m, v} of lists.flat()) this.volumes.set(v.name, m)
    return lists.flat().map((x) => x.v)
  }

  async removeVolume(name: string): Promise<void> {
    const m = this.volumes.get(name)
    if (m) return m.engine.removeVolume(name)
    for (const x of this.members) await x.engine.removeVolume(name)
  }

  // Containers: on their site's engine.

  async createContainer(req: ContainerCreateRequest): Promise<string> {
    const m = typeof req.networkMode === 'object' ? await this.owner(req.networkMode.container) : this.placeOf(req.labels)
    const id = await m.engine.createContainer(req)
    this.containers.set(id, m)
    this.containers.set(req.name, m)
    return id
  }

  async listContainers(labelFilters: string[]): Promise<ContainerSummary[]> {
    const lists = await Promise.all(this.members.map(async (m) => (await m.engine.listContainers(labelFilters)).map((c) => ({m, c}))))
    for (const {m, c} of lists.flat()) this.remember(m, c)
    return lists.flat().map((x) => x.c)
  }

  async findContainerByName(name: string): Promise<ContainerSummary | undefined> {
    const found = await Promise.all(this.members.map(async (m) => ({m, c: await m.engine.findContainerByName(name)})))
    const hit = found.find((x) => x.c)
    if (hit?.c) this.remember(hit.m, hit.c)
    return hit?.c
  }

  /** The containers on one engine carrying every label filter (host-power-cut: everything of a project on that host). */
  async listContainersOn(engine: string, labelFilters: string[]): Promise<ContainerSummary[]> {
    const m = this.memberNamed(engine)
    if (!m) throw new Error(`no engine named ${engine} in this topology`)
    const list = await m.engine.listContainers(labelFilters)
    for (const c of list) this.remember(m, c)
    return list
  }

  /** The name of the engine holding a container. */
  async engineOf(containerId: string): Promise<string> {
    return (await this.owner(containerId)).name
  }

  startContainer = (id: string) => this.on(id, (e) => e.startContainer(id))
  removeContainer = (id: string) => this.on(id, (e) => e.removeContainer(id), {missingOk: true})
  containerLogs = (id: string, tail: number) => this.on(id, (e) => e.containerLogs(id, tail))
  killContainer = (id: string, signal: string) => this.on(id, (e) => e.killContainer(id, signal))
  stopContainer = (id: string, timeoutMs: number) => this.on(id, (e) => e.stopContainer(id, timeoutMs))
  restartContainer = (id: string, timeoutMs: number) => this.on(id, (e) => e.restartContainer(id, timeoutMs))
  pauseContainer = (id: string) => this.on(id, (e) => e.pauseContainer(id))
  unpauseContainer = (id: string) => this.on(id, (e) => e.unpauseContainer(id))
  disconnect = (network: string, containerId: string) => this.on(containerId, (e) => e.disconnect(network, containerId))
  connect = (network: string, containerId: string, aliases: string[]) => this.on(containerId, (e) => e.connect(network, containerId, aliases))
  exec = (containerId: string, argv: string[], opts?: {user?: string; timeoutMs?: number}): Promise<ExecResult> => this.on(containerId, (e) => e.exec(containerId, argv, opts))
  inspectContainer = (id: string) => this.on(id, (e) => e.inspectContainer(id))
  fullLogs = (id: string) => this.on(id, (e) => e.fullLogs(id))

  async inspectImage(ref: string): Promise<{id: string; repoDigests: string[]; created?: string} | undefined> {
    return this.manager.engine.inspectImage(ref)
  }

  private placeOf(labels: Labels): Member {
    const site = labels[LABEL.site]
    return site === undefined ? this.manager : this.memberOfSite(site)
  }

  private remember(m: Member, c: ContainerSummary): void {
    this.containers.set(c.id, m)
    this.containers.set(c.name, m)
  }

  private async on<T>(id: string, fn: (e: Engine) => Promise<T>, opts: {missingOk?: boolean} = {}): Promise<T> {
    let m: Member
    try {
      m = await this.owner(id)
    } catch (error) {
      if (opts.missingOk && !(error instanceof EngineUnavailableError)) return undefined as T
      throw error
    }
    return fn(m.engine)
  }

  /** The engine holding a container (by id, id prefix or name): remembered, or found by asking every engine. */
  private async owner(idOrName: string): Promise<Member> {
    const known = this.containers.get(idOrName) ?? [...this.containers.entries()].find(([k]) => k.length >= 12 && (k.startsWith(idOrName) || idOrName.startsWith(k)))?.[1]
    if (known) return known
    const answers = await Promise.allSettled(this.members.map(async (m) => ({m, hit: (await m.engine.listContainers([])).find((c) => c.name === idOrName || c.id.startsWith(idOrName))})))
    for (const a of answers) if (a.status === 'fulfilled' && a.value.hit) {
      this.remember(a.value.m, a.value.hit)
      return a.value.m
    }
    const down = answers.find((a) => a.status === 'rejected')
    if (down) throw (down as PromiseRejectedResult).reason
    throw Object.assign(new Error(`no container ${idOrName} on any engine of the topology`), {statusCode: 404})
  }
}
