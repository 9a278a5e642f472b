import {readdirSync, readFileSync} from 'node:fs'
import {Writable} from 'node:stream'
import {homedir} from 'node:os'
import path from 'node:path'

import Docker from 'dockerode'
import pLimit, {type LimitFunction} from 'p-limit'
import ssh2 from 'ssh2'

import {EngineUnavailableError, EnvironmentError} from '../errors.js'
import type {ContainerCreateRequest, ContainerHealth, ContainerState, ContainerSummary, Engine, ExecResult, ImageBuildRequest, NetworkSummary, VolumeSummary} from './engine.js'
import type {EngineInfo} from '../model/result.js'
import type {EngineEndpointSpec} from '../model/topology.js'
import {checkLock, holdLock, LOCK_TOKEN, removeStaleLock, type Holder, type LockStore} from './engine-lock.js'
import {engineEndpoint, type EngineEndpoint} from './endpoint.js'
import {hostKeyAlgorithms, knownHostsName, parseKnownHosts, verifyHostKey, type HostKeyVerdict} from './known-hosts.js'

const NS_PER_MS = 1_000_000
/** No engine call may hang a drill: one that takes longer than this (beyond its own stop timeout) means the engine is stuck. */
const CALL_TIMEOUT_MS = 60_000
/** Building an image installs packages: minutes, not seconds. */
const BUILD_TIMEOUT_MS = 30 * 60_000
/**
 * ssh://: docker-modem opens one SSH connection per API call, and sshd by default drops new connections
 * at random once 10 are unauthenticated at once (MaxStartups 10:30:100); a topology's parallel calls stay
 * below that.
 */
const SSH_CALLS_AT_ONCE = 6
const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOENT', 'EACCES', 'EPERM', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH'])

/** The Docker engine behind the Engine interfaces; the only module that imports dockerode. */
export class DockerEngine implements Engine {
  private readonly docker: Docker
  private readonly where?: string
  /** What DOCKER_HOST would say for this engine: where it runs, as the relay needs it (endpoint()). */
  private readonly dockerHost?: string
  /** How the client authenticates to the engine, for evidence (environment.json's engine.transport). */
  private readonly transport: NonNullable<EngineInfo['transport']>
  /** ssh://: the last host key check that refused the server, for the message that follows it. */
  private readonly hostKeyRefusal: {message?: string} = {}
  /** ssh://: how many engine calls may be opening connections at once. */
  private readonly sshSlots?: LimitFunction

  /**
   * `endpoint`: one engine of a topology's `engines:` (tcp:// with TLS files read here, ssh:// with the SSH
   * agent's keys, a unix socket); `name` is how messages call it. Neither: DOCKER_HOST or the default socket.
   */
  constructor(opts: {socketPath?: string; endpoint?: EngineEndpointSpec; describe?: string; name?: string} = {}) {
    // DOCKER_HOST is honoured by docker-modem when no socket is given.
    // DOCKER_HOST=ssh://: docker-modem alone would take any host key; the same known_hosts check as a topology's ssh:// engine.
    const sshFromEnv = opts.socketPath || opts.endpoint ? undefined : sshEndpointOf(process.env.DOCKER_HOST)
    this.docker = opts.socketPath
      ? new Docker({socketPath: opts.socketPath})
      : opts.endpoint
        ? new Docker(dockerOptions(opts.endpoint, this.hostKeyRefusal))
        : sshFromEnv
          ? new Docker({protocol: 'ssh', host: sshFromEnv.host, port: sshFromEnv.port, username: sshFromEnv.username, sshOptions: sshOptions(sshFromEnv, this.hostKeyRefusal, {agentOnly: true})})
          : new Docker()
    // Messages say "the Docker engine at tcp://10.2.0.10:2376 (engine gyeonggi-dc)".
    if (opts.describe || opts.name) this.where = `${opts.describe ?? 'local'}${opts.name ? ` (engine ${opts.name})` : ''}`
    this.dockerHost = opts.socketPath ? `unix://${opts.socketPath}` : opts.endpoint ? dockerHostOf(opts.endpoint) : process.env.DOCKER_HOST
    this.transport = transportOf(opts.endpoint, this.dockerHost)
    if (this.transport === 'ssh') this.sshSlots = pLimit(SSH_CALLS_AT_ONCE)
  }

  describeEndpoint(): string {
    return this.where ?? this.endpoint().describe
  }

  endpoint(): EngineEndpoint {
    return engineEndpoint(this.dockerHost)
  }

  /** Where this engine stands in a swarm (`docker info`'s Swarm section). */
  async swarmState(): Promise<SwarmState> {
    const info = (await this.call('read the engine\'s swarm state', () => this.docker.info())) as {Swarm?: {LocalNodeState?: string; NodeID?: string; NodeAddr?: string; ControlAvailable?: boolean; Cluster?: {ID?: string}; RemoteManagers?: {Addr?: string}[] | null}}
    const sw = info.Swarm ?? {}
    return {
      state: sw.LocalNodeState ?? 'inactive',
      clusterId: sw.Cluster?.ID || undefined,
      nodeId: sw.NodeID || undefined,
      nodeAddr: sw.NodeAddr || undefined,
      manager: sw.ControlAvailable === true,
      managerAddrs: (sw.RemoteManagers ?? []).flatMap((m) => (m.Addr ? [m.Addr] : [])),
    }
  }

  /**
   * Create the swarm config NAME with these labels, atomically: false (and the holder's labels) when it
   * exists already. Configs live in the swarm's Raft store, shared by every engine of the swarm.
   */
  async createSwarmConfig(name: string, labels: Record<string, string>): Promise<{created: true} | {created: false; labels: Record<string, string>}> {
    try {
      await this.call(`create swarm config ${name}`, () => this.docker.createConfig({Name: name, Labels: labels, Data: Buffer.from(JSON.stringify(labels)).toString('base64')}))
      return {created: true}
    } catch (error) {
      if ((error as {statusCode?: number}).statusCode !== 409) throw error
      const existing = (await this.call(`inspect swarm config ${name}`, () => this.docker.getConfig(name).inspect())) as {Spec?: {Labels?: Record<string, string>}}
      return {created: false, labels: existing.Spec?.Labels ?? {}}
    }
  }

  async inspectSwarmConfig(name: string): Promise<Record<string, string> | undefined> {
    try {
      const c = (await this.call(`inspect swarm config ${name}`, () => this.docker.getConfig(name).inspect())) as {Spec?: {Labels?: Record<string, string>}}
      return c.Spec?.Labels ?? {}
    } catch (error) {
      if ((error as {statusCode?: number}).statusCode === 404) return undefined
      throw error
    }
  }

  /**
   * The topology's lock on this one engine: a volume `fd-PROJECT-lock` (creation is create-or-get by
   * name, so the labels of the one that exists say whose it is). Taken when the engine is on another
   * host, where runners on other machines meet; a runner using this machine's own engine only checks
   * it (its lock file is the lock there) and leaves nothing behind.
   */
  async holdEngineLock(project: string, holder: Holder): Promise<() => Promise<void>> {
    if (this.endpoint().remote) return holdLock(project, holder, this.volumeLockStore())
    await checkLock(project, String(holder.host), this.volumeLockStore())
    return async () => {}
  }

  async removeStaleLock(project: string, host: string): Promise<boolean> {
    return removeStaleLock(project, host, this.volumeLockStore())
  }

  private volumeLockStore(): LockStore {
    return {
      what: 'the volume',
      where: this.describeEndpoint(),
      removeCommand: 'volume rm',
      create: async (name, labels) => {
        await this.call(`create lock volume ${name}`, () => this.docker.createVolume({Name: name, Labels: labels}))
        const now = (await this.inspectVolumeLabels(name)) ?? {}
        return now[`${LOCK_TOKEN}`] === labels[`${LOCK_TOKEN}`] ? {created: true} : {created: false, labels: now}
      },
      inspect: (name) => this.inspectVolumeLabels(name),
      remove: (name) => this.removeVolume(name),
    }
  }

  private async inspectVolumeLabels(name: string): Promise<Record<string, string> | undefined> {
    try {
      const v = (await this.call(`inspect volume ${name}`, () => this.docker.getVolume(name).inspect())) as {Labels?: Record<string, string> | null}
      return v.Labels ?? {}
    } catch (error) {
      if ((error as {statusCode?: number}).statusCode === 404) return undefined
      throw error
    }
  }

  async removeSwarmConfig(name: string): Promise<void> {
    await this.ignoreNotFound(`remove swarm config ${name}`, () => this.docker.getConfig(name).remove())
  }

  /** The worker join token of the swarm this engine manages. */
  async swarmJoinToken(): Promise<string> {
    const sw = (await this.call('read the swarm\'s join token', () => this.docker.swarmInspect())) as {JoinTokens?: {Worker?: string}}
    const token = sw.JoinTokens?.Worker
    if (!token) throw new EnvironmentError(`the engine ${this.describeEndpoint()} did not give the swarm's join token (is it a manager?)`)
    return token
  }

  /** `docker save REF | docker -H OTHER load`: the image copied to another engine, no registry between. */
  async copyImageTo(ref: string, other: DockerEngine): Promise<void> {
    const stream = await this.call(`save image ${ref}`, () => this.docker.getImage(ref).get(), BUILD_TIMEOUT_MS)
    await other.loadImage(ref, stream)
  }

  private async loadImage(ref: string, stream: NodeJS.ReadableStream): Promise<void> {
    const out = await this.call(`load image ${ref}`, () => this.docker.loadImage(stream, {quiet: true}), BUILD_TIMEOUT_MS)
    await new Promise<void>((resolve, reject) => {
      this.docker.modem.followProgress(out, (err: Error | null) => (err ? reject(err) : resolve()))
    })
  }

  close(): void {
    const agent = (this.docker.modem as unknown as {agent?: {destroy?: () => void}}).agent
    agent?.destroy?.()
  }

  async info(): Promise<EngineInfo> {
    const v = await this.call('ping the Docker engine', () => this.docker.version())
    return {
      version: v.Version,
      apiVersion: v.ApiVersion,
      os: `${v.Os}/${v.Arch} ${v.KernelVersion ?? ''}`.trim(),
      endpoint: this.dockerHost ?? 'unix:///var/run/docker.sock',
      transport: this.transport,
    }
  }

  async imageId(ref: string): Promise<string | undefined> {
    try {
      const info = await this.call(`inspect image ${ref}`, () => this.docker.getImage(ref).inspect())
      return info.Id
    } catch (error) {
      if (isNotFound(error)) return undefined
      throw error
    }
  }

  async buildImage(req: ImageBuildRequest, onLine?: (line: string) => void): Promise<string> {
    const stream = await this.call(`build image ${req.ref}`, () =>
      this.docker.buildImage(
        {context: req.contextDir, src: listFiles(req.contextDir)},
        {t: req.ref, dockerfile: req.dockerfile, buildargs: req.args, labels: req.labels, rm: true, forcerm: true},
      ),
      BUILD_TIMEOUT_MS,
    )
    const tail: string[] = []
    await new Promise<void>((resolve, reject) => {
      this.docker.modem.followProgress(
        stream,
        (err: Error | null) => (err ? reject(err) : resolve()),
        (event: {stream?: string; error?: string; errorDetail?: {message?: string}}) => {
          if (event.error) {
            reject(new EnvironmentError(`building image ${req.ref} from ${req.contextDir} failed: ${event.error.trim()}\n${tail.join('\n')}`))
            return
          }
          for (const line of (event.stream ?? '').split('\n')) {
            if (line.trim() === '') continue
            tail.push(line)
            if (tail.length > 20) tail.shift()
            onLine?.(line)
          }
        },
      )
    })
    const id = await this.imageId(req.ref)
    if (!id) throw new EnvironmentError(`building image ${req.ref} reported success but the image is not there`)
    return id
  }

  async createNetwork(req: {name: string; labels: Record<string, string>; subnet?: string; driver?: 'bridge' | 'overlay'; encrypted?: boolean}): Promise<string> {
    try {
      const network = await this.call(`create network ${req.name}`, () =>
        this.docker.createNetwork({
          Name: req.name,
          Driver: req.driver ?? 'bridge',
          Labels: req.labels,
          CheckDuplicate: true,
          // Overlays: swarm-scoped, and attachable so that plain containers (not services) join them.
          Attachable: true,
          ...(req.driver === 'overlay' && req.encrypted ? {Options: {encrypted: 'true'}} : {}),
          ...(req.subnet ? {IPAM: {Driver: 'default', Config: [{Subnet: req.subnet}]}} : {}),
        }),
      )
      return network.id
    } catch (error) {
      // Docker's default address pools hold about 30 bridge networks, shared by everything on the engine.
      if (/non-overlapping IPv4 address pool/.test((error as Error).message)) {
        throw new EnvironmentError(`the Docker engine has no address range left for network ${req.name}: ${(error as Error).message}`, [
          'remove networks nobody uses any more (docker network ls; firedrill down --project NAME for firedrill\'s)',
          'or give the topology\'s networks subnets of their own (subnet: under each site, and wan: {subnet: ...})',
          'or give dockerd more, smaller pools in /etc/docker/daemon.json, e.g. "default-address-pools": [{"base": "10.200.0.0/16", "size": 24}], and restart it',
        ])
      }
      // A subnet asked for that another network took meanwhile (up checks before creating anything).
      if (req.subnet && /overlaps with other one/.test((error as Error).message)) {
        throw new EnvironmentError(`subnet ${req.subnet} of network ${req.name} overlaps a network already on the Docker engine: ${(error as Error).message}`, [
          'choose another subnet in the topology, or remove the network using it (docker network inspect NAME shows its subnet)',
        ])
      }
      throw error
    }
  }

  async listNetworks(labelFilters: string[]): Promise<NetworkSummary[]> {
    const list = await this.call('list networks', () => this.docker.listNetworks(labelFilters.length > 0 ? {filters: {label: labelFilters}} : {}))
    return list.map(networkSummary)
  }

  async findNetworkByName(name: string): Promise<NetworkSummary | undefined> {
    const list = await this.call('list networks', () => this.docker.listNetworks({filters: {name: [name]}}))
    const n = list.find((x) => x.Name === name)
    return n ? networkSummary(n) : undefined
  }

  async removeNetwork(id: string): Promise<void> {
    await this.ignoreNotFound(`remove network ${id}`, () => this.docker.getNetwork(id).remove())
  }

  async createVolume(req: {name: string; labels: Record<string, string>; sizeBytes?: number}): Promise<void> {
    const sized = req.sizeBytes === undefined ? {} : {Driver: 'local', DriverOpts: {type: 'tmpfs', device: 'tmpfs', o: `size=${req.sizeBytes}`}}
    await this.call(`create volume ${req.name}`, () => this.docker.createVolume({Name: req.name, Labels: req.labels, ...sized}))
  }

  async listVolumes(labelFilters: string[]): Promise<VolumeSummary[]> {
    const list = await this.call('list volumes', () => this.docker.listVolumes({filters: {label: labelFilters}}))
    return (list.Volumes ?? []).map((v) => ({name: v.Name, labels: v.Labels ?? {}}))
  }

  async removeVolume(name: string): Promise<void> {
    await this.ignoreNotFound(`remove volume ${name}`, () => this.docker.getVolume(name).remove())
  }

  async createContainer(req: ContainerCreateRequest): Promise<string> {
    if (req.networkMode !== undefined && req.networks.length > 0) throw new Error(`container ${req.name}: networks cannot be attached to a container that uses network mode ${JSON.stringify(req.networkMode)}`)
    const [first, ...rest] = req.networks
    const exposed: Record<string, object> = {}
    const bindings: Record<string, {HostIp: string; HostPort: string}[]> = {}
    for (const p of req.ports) {
      const key = `${p.container}/${p.protocol}`
      exposed[key] = {}
      ;(bindings[key] ??= []).push({HostIp: p.hostIp, HostPort: String(p.host)})
    }
    const container = await this.call(`create container ${req.name}`, () =>
      this.docker.createContainer({
        name: req.name,
        // A container in another's network namespace has that one's hostname.
        Hostname: typeof req.networkMode === 'object' ? undefined : req.hostname,
        Image: req.image,
        Cmd: req.command,
        User: req.user,
        Env: Object.entries(req.env).map(([k, v]) => `${k}=${v}`),
        Labels: req.labels,
        ExposedPorts: exposed,
        StopTimeout: Math.ceil(req.stopTimeoutMs / 1000),
        Healthcheck: req.health
          ? {
              Test: ['CMD', ...req.health.test],
              Interval: req.health.intervalMs * NS_PER_MS,
              Timeout: req.health.timeoutMs * NS_PER_MS,
              Retries: req.health.retries,
              StartPeriod: req.health.startPeriodMs * NS_PER_MS,
            }
          : undefined,
        HostConfig: {
          PortBindings: bindings,
          Mounts: req.mounts.map((m) => ({Type: 'volume' as const, Source: m.volume, Target: m.target})),
          RestartPolicy: {Name: 'no'},
          NetworkMode: req.networkMode === undefined ? first?.name : req.networkMode === 'none' ? 'none' : `container:${req.networkMode.container}`,
          CapAdd: req.capAdd,
          CapDrop: req.capDrop,
          Sysctls: req.sysctls,
        },
        NetworkingConfig: first ? {EndpointsConfig: {[first.name]: {Aliases: first.aliases}}} : undefined,
      }),
    )
    for (const net of rest) {
      await this.call(`attach ${req.name} to network ${net.name}`, () =>
        this.docker.getNetwork(net.name).connect({Container: container.id, EndpointConfig: {Aliases: net.aliases}}),
      )
    }
    return container.id
  }

  async startContainer(id: string): Promise<void> {
    try {
      await this.call(`start container ${id}`, () => this.docker.getContainer(id).start())
    } catch (error) {
      if ((error as {statusCode?: number}).statusCode === 304) return // already running
      throw error
    }
  }

  async killContainer(id: string, signal: string): Promise<void> {
    await this.call(`kill container ${id}`, () => this.docker.getContainer(id).kill({signal}))
  }

  async stopContainer(id: string, timeoutMs: number): Promise<void> {
    try {
      await this.call(`stop container ${id}`, () => this.docker.getContainer(id).stop({t: Math.ceil(timeoutMs / 1000)}), timeoutMs + CALL_TIMEOUT_MS)
    } catch (error) {
      if ((error as {statusCode?: number}).statusCode === 304) return // already stopped
      throw error
    }
  }

  async restartContainer(id: string, timeoutMs: number): Promise<void> {
    await this.call(`restart container ${id}`, () => this.docker.getContainer(id).restart({t: Math.ceil(timeoutMs / 1000)}), timeoutMs + CALL_TIMEOUT_MS)
  }

  async pauseContainer(id: string): Promise<void> {
    await this.call(`pause container ${id}`, () => this.docker.getContainer(id).pause())
  }

  async unpauseContainer(id: string): Promise<void> {
    await this.call(`unpause container ${id}`, () => this.docker.getContainer(id).unpause())
  }

  async disconnect(network: string, containerId: string): Promise<void> {
    await this.call(`disconnect ${containerId} from ${network}`, () => this.docker.getNetwork(network).disconnect({Container: containerId, Force: true}))
  }

  async connect(network: string, containerId: string, aliases: string[]): Promise<void> {
    await this.call(`connect ${containerId} to ${network}`, () =>
      this.docker.getNetwork(network).connect({Container: containerId, EndpointConfig: {Aliases: aliases}}),
    )
  }

  async exec(containerId: string, argv: string[], opts: {user?: string; timeoutMs?: number} = {}): Promise<ExecResult> {
    const exec = await this.call(`exec in ${containerId}`, () =>
      this.docker.getContainer(containerId).exec({Cmd: argv, User: opts.user, AttachStdout: true, AttachStderr: true, Tty: false}),
    )
    const stream = await this.call(`exec in ${containerId}`, () => exec.start({hijack: true, stdin: false}))
    const out: Buffer[] = []
    const err: Buffer[] = []
    const collect = (into: Buffer[]) => new Writable({write: (chunk: Buffer, _enc, done) => (into.push(chunk), done())})
    this.docker.modem.demuxStream(stream, collect(out), collect(err))
    const timeoutMs = opts.timeoutMs ?? 60_000
    let timer: NodeJS.Timeout | undefined
    try {
      await Promise.race([
        new Promise<void>((resolve, reject) => {
          stream.on('end', resolve)
          stream.on('close', resolve)
          stream.on('error', reject)
        }),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`${argv.join(' ')} in ${containerId} took longer than ${timeoutMs} ms`)), timeoutMs)
        }),
      ])
    } finally {
      clearTimeout(timer)
      stream.destroy()
    }
    // The stream can end a moment before the engine records the exit code.
    let info = await this.call(`inspect exec in ${containerId}`, () => exec.inspect())
    for (let i = 0; info.Running && i < 50; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20))
      info = await this.call(`inspect exec in ${containerId}`, () => exec.inspect())
    }
    return {exitCode: info.ExitCode ?? -1, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8')}
  }

  async removeContainer(id: string): Promise<void> {
    await this.ignoreNotFound(`remove container ${id}`, () => this.docker.getContainer(id).remove({force: true, v: true}))
  }

  async containerLogs(id: string, tail: number): Promise<string> {
    const buffer = await this.call(`read logs of ${id}`, () =>
      this.docker.getContainer(id).logs({stdout: true, stderr: true, tail, follow: false}),
    )
    return demux(buffer as unknown as Buffer)
  }

  async inspectContainer(id: string): Promise<unknown> {
    return this.call(`inspect container ${id}`, () => this.docker.getContainer(id).inspect())
  }

  async inspectNetwork(id: string): Promise<unknown> {
    return this.call(`inspect network ${id}`, () => this.docker.getNetwork(id).inspect())
  }

  async inspectImage(ref: string): Promise<{id: string; repoDigests: string[]; created?: string} | undefined> {
    try {
      const info = await this.call(`inspect image ${ref}`, () => this.docker.getImage(ref).inspect())
      return {id: info.Id, repoDigests: info.RepoDigests ?? [], created: info.Created}
    } catch (error) {
      if (isNotFound(error)) return undefined
      throw error
    }
  }

  async fullLogs(id: string): Promise<string> {
    const buffer = await this.call(`read logs of ${id}`, () =>
      this.docker.getContainer(id).logs({stdout: true, stderr: true, timestamps: true, follow: false}),
    )
    return demux(buffer as unknown as Buffer)
  }

  async listContainers(labelFilters: string[]): Promise<ContainerSummary[]> {
    const list = await this.call('list containers', () => this.docker.listContainers({all: true, filters: {label: labelFilters}}))
    return list.map((c) => summarize(c))
  }

  async findContainerByName(name: string): Promise<ContainerSummary | undefined> {
    const list = await this.call('list containers', () => this.docker.listContainers({all: true, filters: {name: [`^/${name}$`]}}))
    const c = list[0]
    return c ? summarize(c) : undefined
  }

  /**
   * Run one engine call, bounded in time: an unreachable or unanswering engine becomes
   * EngineUnavailableError; anything else keeps its message with what we were doing.
   */
  private async call<T>(what: string, fn: () => Promise<T>, timeoutMs = CALL_TIMEOUT_MS): Promise<T> {
    let timer: NodeJS.Timeout | undefined
    try {
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new EngineUnavailableError(`the Docker engine at ${this.describeEndpoint()} did not answer within ${Math.round(timeoutMs / 1000)} s while trying to ${what}`, [
                'check that dockerd is running and not stuck (docker info)',
              ]),
            ),
          timeoutMs,
        )
      })
      const started = this.sshSlots ? this.sshSlots(fn) : fn()
      return await Promise.race([started, deadline])
    } catch (error) {
      if (error instanceof EngineUnavailableError) throw error
      const refused = this.authFailure(error, what)
      if (refused) throw refused
      const code = (error as NodeJS.ErrnoException).code
      if (code && UNREACHABLE.has(code)) {
        throw new EngineUnavailableError(
          `cannot reach the Docker engine at ${this.describeEndpoint()} (${code}) while trying to ${what}`,
          ['start it (sudo systemctl start docker, or dockerd &), or point DOCKER_HOST at a running engine', 'scripts/setup.sh installs and starts one'],
          {cause: error},
        )
      }
      if (error instanceof Error && (error as {statusCode?: number}).statusCode !== undefined) {
        const reason = ((error as {json?: {message?: string}}).json?.message ?? error.message).trim()
        const wrapped = new Error(`${what}: ${reason}`, {cause: error}) as Error & {statusCode?: number}
        wrapped.statusCode = (error as {statusCode?: number}).statusCode
        throw wrapped
      }
      throw error
    } finally {
      clearTimeout(timer)
    }
  }

  /**
   * A TLS handshake or an SSH connection that failed: the engine could not be reached as configured
   * (exit 3, before anything is created), with what to check. Undefined for any other error.
   */
  private authFailure(error: unknown, what: string): EngineUnavailableError | undefined {
    const code = String((error as NodeJS.ErrnoException).code ?? '')
    const message = errorText(error)
    const where = this.describeEndpoint()
    if (this.transport === 'tls' && (/^ERR_(SSL|TLS)_/.test(code) || TLS_CERT_CODES.has(code))) {
      return new EngineUnavailableError(
        `the TLS handshake with the Docker engine at ${where} failed while trying to ${what}: ${message} (${code})`,
        [
          'the engine must trust the CA that signed your client certificate (dockerd --tlsverify --tlscacert), and your ca must have signed its server certificate',
          "the server certificate's subjectAltName must name the address you give (an IP needs IP:..., not only DNS:...)",
          `check by hand: docker -H ${this.dockerHost ?? where} --tlsverify --tlscacert CA --tlscert CERT --tlskey KEY version`,
        ],
        {cause: error},
      )
    }
    if (this.transport !== 'ssh') return undefined
    const level = (error as {level?: string}).level
    // ssh2 says only "Host denied (verification failed)"; the check that refused says why.
    if (this.hostKeyRefusal.message && /host denied/i.test(message)) {
      return new EngineUnavailableError(`cannot reach the Docker engine at ${where} while trying to ${what}: ${this.hostKeyRefusal.message}`, [], {cause: error})
    }
    if (level === 'client-authentication' || /privateKey|authentication methods failed|no passphrase/i.test(message)) {
      return new EngineUnavailableError(
        `the SSH server of the Docker engine at ${where} refused every key offered while trying to ${what}: ${message}`,
        ["give the engine's ssh.private_key (a path), or load the key into ssh-agent (SSH_AUTH_SOCK)", 'the public key must be in ~/.ssh/authorized_keys of that user on that host'],
        {cause: error},
      )
    }
    if (level !== undefined) {
      return new EngineUnavailableError(`cannot reach the Docker engine at ${where} over SSH while trying to ${what}: ${message}`, ['check by hand: ssh USER@HOST docker system dial-stdio (the docker CLI must be on that host)'], {cause: error})
    }
    return undefined
  }

  private async ignoreNotFound(what: string, fn: () => Promise<unknown>): Promise<void> {
    try {
      await this.call(what, fn)
    } catch (error) {
      if (isNotFound(error)) return
      throw error
    }
  }
}

export interface SwarmState {
  /** inactive, pending, active, error, locked */
  state: string
  clusterId?: string
  nodeId?: string
  nodeAddr?: string
  manager: boolean
  managerAddrs: string[]
}

/** The DOCKER_HOST naming a topology's engine (no secret in it). */
function dockerHostOf(e: EngineEndpointSpec): string | undefined {
  switch (e.kind) {
    case 'local':
      return process.env.DOCKER_HOST
    case 'unix':
      return `unix://${e.socketPath}`
    case 'ssh':
      return `ssh://${e.username ? `${e.username}@` : ''}${e.host}:${e.port}`
    case 'tcp':
      return `tcp://${e.host}:${e.port}`
  }
}

/** How the client authenticates to an engine of a topology, or to the one DOCKER_HOST names (DOCKER_TLS_VERIFY and port 2376 mean TLS, as docker-modem reads them). */
function transportOf(e: EngineEndpointSpec | undefined, dockerHost: string | undefined): NonNullable<EngineInfo['transport']> {
  if (e && e.kind !== 'local') return e.kind === 'unix' ? 'socket' : e.kind === 'ssh' ? 'ssh' : e.tls ? 'tls' : 'tcp'
  if (!dockerHost || /^(unix|npipe):\/\//.test(dockerHost) || dockerHost.startsWith('/')) return 'socket'
  if (dockerHost.startsWith('ssh://')) return 'ssh'
  return process.env.DOCKER_TLS_VERIFY === '1' || /:2376\/?$/.test(dockerHost) ? 'tls' : 'tcp'
}

/** Node's certificate verification failures (tls.TLSSocket authorizationError codes). */
const TLS_CERT_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_SIGNATURE_FAILURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
])

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

/**
 * ssh2's options for an ssh:// engine: the private key file (read and parsed now, so a missing or
 * passphrase-protected key fails before anything starts) or the agent, and the host key checked against
 * known_hosts as `StrictHostKeyChecking yes` does: an unknown or changed key refuses the connection.
 */
function sshOptions(e: Extract<EngineEndpointSpec, {kind: 'ssh'}>, refusal: {message?: string}, opts: {agentOnly?: boolean} = {}): Record<string, unknown> {
  const where = `ssh://${e.username ? `${e.username}@` : ''}${e.host}:${e.port}`
  let privateKey: Buffer | undefined
  if (e.privateKey) {
    try {
      privateKey = readFileSync(e.privateKey)
    } catch (error) {
      throw new EnvironmentError(`cannot read the SSH private key of the engine at ${where}: ${(error as Error).message}`)
    }
    const parsed = ssh2.utils.parseKey(privateKey)
    if (parsed instanceof Error) {
      throw new EnvironmentError(`the SSH private key of the engine at ${where} cannot be used: ${parsed.message}`, [
        'give a key without a passphrase in ssh.private_key, or load it into ssh-agent and leave ssh.private_key out',
      ])
    }
  } else if (!process.env.SSH_AUTH_SOCK && !opts.agentOnly) {
    throw new EnvironmentError(`the engine at ${where} has no SSH key: give its ssh.private_key (a path), or run ssh-agent with the key loaded (SSH_AUTH_SOCK is not set)`)
  }
  let knownText = ''
  try {
    knownText = readFileSync(e.knownHosts, 'utf8')
  } catch {
    // No file: every host is unknown, and the refusal says how to add this one.
  }
  const known = parseKnownHosts(knownText)
  const algorithms = hostKeyAlgorithms(known, e.host, e.port)
  const name = knownHostsName(e.host, e.port)
  const keyscan = `ssh-keyscan ${e.port === 22 ? '' : `-p ${e.port} `}${e.host} >> ${e.knownHosts}`
  const say: Record<Exclude<HostKeyVerdict, {ok: true}>['reason'], string> = {
    unknown: `the host key of ${name} is not in ${e.knownHosts}; check its fingerprint on that host (ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub), then add it: ${keyscan}`,
    changed: `the host key of ${name} differs from the one in ${e.knownHosts}: another machine answers at that address, or the host was reinstalled; check before you replace the entry`,
    revoked: `the host key of ${name} is marked @revoked in ${e.knownHosts}`,
  }
  return {
    ...(privateKey ? {privateKey} : {agent: process.env.SSH_AUTH_SOCK}),
    ...(algorithms ? {algorithms: {serverHostKey: algorithms}} : {}),
    readyTimeout: 20_000,
    hostVerifier: (key: Buffer) => {
      const verdict = verifyHostKey(known, e.host, e.port, key)
      refusal.message = undefined
      if (verdict.ok) return true
      refusal.message = say[verdict.reason]
      return false
    },
  }
}

/**
 * DOCKER_HOST=ssh://user@host[:port] as an ssh endpoint: keys from the SSH agent (as docker-modem reads
 * it: without SSH_AUTH_SOCK the server refuses us, exit 3), host keys from ~/.ssh/known_hosts.
 */
export function sshEndpointOf(dockerHost: string | undefined): Extract<EngineEndpointSpec, {kind: 'ssh'}> | undefined {
  if (!dockerHost?.startsWith('ssh://')) return undefined
  let url: URL
  try {
    url = new URL(dockerHost)
  } catch {
    return undefined
  }
  if (url.hostname === '') return undefined
  const username = url.username ? decodeURIComponent(url.username) : undefined
  return {kind: 'ssh', host: url.hostname, port: url.port ? Number(url.port) : 22, ...(username ? {username} : {}), knownHosts: path.join(homedir(), '.ssh', 'known_hosts')}
}

/** dockerode's options for one engine of a topology; TLS files are read now, so a missing one fails before anything starts. */
function dockerOptions(e: EngineEndpointSpec, refusal: {message?: string}): Docker.DockerOptions {
  switch (e.kind) {
    case 'local':
      return {}
    case 'unix':
      return {socketPath: e.socketPath}
    case 'ssh':
      return {protocol: 'ssh', host: e.host, port: e.port, username: e.username, sshOptions: sshOptions(e, refusal)}
    case 'tcp':
      if (!e.tls) return {protocol: 'http', host: e.host, port: e.port}
      try {
        return {protocol: 'https', host: e.host, port: e.port, ca: readFileSync(e.tls.ca), cert: readFileSync(e.tls.cert), key: readFileSync(e.tls.key)}
      } catch (error) {
        throw new EnvironmentError(`cannot read the TLS files of the engine at tcp://${e.host}:${e.port}: ${(error as Error).message}`)
      }
  }
}

/** Docker multiplexes stdout and stderr of non-TTY containers into frames with an 8-byte header. */
function demux(buffer: Buffer): string {
  const parts: Buffer[] = []
  let offset = 0
  while (offset + 8 <= buffer.length) {
    const size = buffer.readUInt32BE(offset + 4)
    parts.push(buffer.subarray(offset + 8, offset + 8 + size))
    offset += 8 + size
  }
  return offset === 0 ? buffer.toString('utf8') : Buffer.concat(parts).toString('utf8')
}

function isNotFound(error: unknown): boolean {
  return (error as {statusCode?: number}).statusCode === 404
}

function networkSummary(n: Docker.NetworkInspectInfo): NetworkSummary {
  const subnets = (n.IPAM?.Config ?? []).map((c) => c.Subnet).filter((s): s is string => Boolean(s) && !s!.includes(':'))
  return {id: n.Id, name: n.Name, labels: n.Labels ?? {}, subnets}
}

function summarize(c: Docker.ContainerInfo): ContainerSummary {
  const addresses: Record<string, string> = {}
  for (const [name, net] of Object.entries(c.NetworkSettings?.Networks ?? {})) {
    if (net.IPAddress) addresses[name] = net.IPAddress
  }
  return {
    id: c.Id,
    name: (c.Names[0] ?? '').replace(/^\//, ''),
    image: c.Image,
    state: c.State as ContainerState,
    health: healthOf(c.Status),
    labels: c.Labels ?? {},
    addresses,
    published: (c.Ports ?? []).flatMap((p) => (p.Type === 'tcp' && p.PublicPort && !(p.IP ?? '').includes(':') ? [{container: p.PrivatePort, host: p.PublicPort}] : [])),
  }
}

function healthOf(status: string): ContainerHealth {
  if (status.includes('(healthy)')) return 'healthy'
  if (status.includes('(unhealthy)')) return 'unhealthy'
  if (status.includes('(health: starting)')) return 'starting'
  return 'none'
}

function listFiles(dir: string, base = dir): string[] {
  const out: string[] = []
  for (const entry of readdirSync(dir, {withFileTypes: true})) {
    const full = path.join(dir, entry.name)
    if (entry.isDirectory()) out.push(...listFiles(full, base))
    else out.push(path.relative(base, full))
  }
  return out
}

