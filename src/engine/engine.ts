/**
 * What firedrill asks of a container runtime, in small role-named interfaces so that
 * each part of the tool asks only for what it needs and unit tests need only tiny fakes.
 * `DockerEngine` (docker.ts) is the one implementation that talks to a real engine.
 */
import type {Labels} from './labels.js'
import type {EngineInfo} from '../model/result.js'
import type {EngineEndpoint} from './endpoint.js'

export type {EngineInfo} from '../model/result.js'


export interface EnginePing {
  info(): Promise<EngineInfo>
  /** Where the engine runs (DOCKER_HOST); absent on an in-memory engine, which counts as local. */
  endpoint?(): EngineEndpoint
}

export interface ImageBuildRequest {
  ref: string
  contextDir: string
  dockerfile: string
  args: Record<string, string>
  labels: Labels
}

export interface ImageStore {
  imageId(ref: string): Promise<string | undefined>
  buildImage(req: ImageBuildRequest, onLine?: (line: string) => void): Promise<string>
}

export interface NetworkSummary {
  id: string
  name: string
  labels: Labels
  /** The network's IPv4 subnets (CIDR), as the engine assigned them. */
  subnets: string[]
}

export interface Networks {
  /**
   * A bridge network (default), or an attachable swarm-scoped overlay (sites on several engines; `encrypted`:
   * IPsec between hosts); with `subnet` (CIDR) its addresses come from there instead of the default pools.
   */
  createNetwork(req: {name: string; labels: Labels; subnet?: string; driver?: 'bridge' | 'overlay'; encrypted?: boolean}): Promise<string>
  /** Networks carrying every label filter given; every network on the engine with none. */
  listNetworks(labelFilters: string[]): Promise<NetworkSummary[]>
  findNetworkByName(name: string): Promise<NetworkSummary | undefined>
  /**
   * Sites on several engines: every engine an active member of one swarm, the first a manager, or an
   * EnvironmentError with the `docker swarm join` command to run. Absent on a single engine.
   */
  checkSwarm?(): Promise<void>
  /**
   * The topology's lock held on its engine(s) (src/engine/engine-lock.ts), so two runners on two
   * machines cannot drill it at once: a labelled swarm config for sites on several engines, a labelled
   * volume on one engine on another host (this machine's own engine is only checked: its lock file is
   * the lock there). Resolves to its release; rejects naming the holder.
   */
  holdEngineLock?(project: string, holder: Record<string, string | number>): Promise<() => Promise<void>>
  /** Remove the lock object a firedrill of this host that is gone left on the engine(s); true when there was one. */
  removeStaleLock?(project: string, host: string): Promise<boolean>
  removeNetwork(id: string): Promise<void>
}

export interface VolumeSummary {
  name: string
  labels: Labels
}

export interface Volumes {
  /** With sizeBytes, a tmpfs of that size (the local driver's tmpfs type): in memory, emptied when its container stops. */
  createVolume(req: {name: string; labels: Labels; sizeBytes?: number}): Promise<void>
  listVolumes(labelFilters: string[]): Promise<VolumeSummary[]>
  removeVolume(name: string): Promise<void>
}

export interface ContainerCreateRequest {
  name: string
  hostname: string
  image: string
  command?: string[]
  user?: string
  env: Record<string, string>
  labels: Labels
  health?: {test: string[]; intervalMs: number; timeoutMs: number; retries: number; startPeriodMs: number}
  ports: {container: number; host: number; hostIp: string; protocol: 'tcp' | 'udp'}[]
  mounts: {volume: string; target: string}[]
  /** Networks to attach, each with DNS aliases; the first is attached at creation. */
  networks: {name: string; aliases: string[]}[]
  /**
   * Join another container's network namespace instead of attaching networks (`networks` must be empty),
   * or `none` for a namespace with only loopback.
   */
  networkMode?: {container: string} | 'none'
  /** Linux capabilities added to, and dropped from, the engine's default set (e.g. drop ALL, add NET_ADMIN). */
  capAdd?: string[]
  capDrop?: string[]
  /** Namespaced kernel settings of the container (the relay's net.ipv4.ip_forward). */
  sysctls?: Record<string, string>
  stopTimeoutMs: number
}

export type ContainerState = 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead'
export type ContainerHealth = 'healthy' | 'unhealthy' | 'starting' | 'none'

export interface ContainerSummary {
  id: string
  name: string
  image: string
  state: ContainerState
  health: ContainerHealth
  labels: Labels
  /** Network name → IPv4 address on it. */
  addresses: Record<string, string>
  /** Container ports published on the engine's host (TCP, IPv4), each with the host port the engine chose or was given. */
  published?: {container: number; host: number}[]
}

export interface Containers {
  createContainer(req: ContainerCreateRequest): Promise<string>
  startContainer(id: string): Promise<void>
  removeContainer(id: string): Promise<void>
  listContainers(labelFilters: string[]): Promise<ContainerSummary[]>
  findContainerByName(name: string): Promise<ContainerSummary | undefined>
  /** The last `tail` lines of a container's output, for error messages and evidence. */
  containerLogs(id: string, tail: number): Promise<string>
}

export interface ContainerLifecycle {
  killContainer(id: string, signal: string): Promise<void>
  startContainer(id: string): Promise<void>
  /** Graceful stop: SIGTERM, then SIGKILL after the timeout. */
  stopContainer(id: string, timeoutMs: number): Promise<void>
  restartContainer(id: string, timeoutMs: number): Promise<void>
  pauseContainer(id: string): Promise<void>
  unpauseContainer(id: string): Promise<void>
}

export interface NetworkAttachment {
  disconnect(network: string, containerId: string): Promise<void>
  connect(network: string, containerId: string, aliases: string[]): Promise<void>
}

export interface ExecResult {
  exitCode: number
  stdout: string
  stderr: string
}

export interface ContainerExec {
  /** Run argv inside a running container (never through a shell), as `user` (default: the image's). */
  exec(containerId: string, argv: string[], opts?: {user?: string; timeoutMs?: number}): Promise<ExecResult>
}

/** What evidence needs: raw `docker inspect` documents and whole logs, read-only. */
export interface Inspector {
  /** `docker inspect` of a container, as the engine returns it. */
  inspectContainer(id: string): Promise<unknown>
  /** `docker network inspect`, as the engine returns it. */
  inspectNetwork(id: string): Promise<unknown>
  /** `docker image inspect`; undefined when the image is not on this machine. */
  inspectImage(ref: string): Promise<{id: string; repoDigests: string[]; created?: string} | undefined>
  /** A container's whole output (stdout and stderr, interleaved), each line prefixed with the engine's RFC 3339 timestamp. */
  fullLogs(id: string): Promise<string>
}

export interface Engine extends EnginePing, ImageStore, Networks, Volumes, Containers, ContainerLifecycle, NetworkAttachment, ContainerExec, Inspector {
  /** Let go of connections so the process can exit. */
  close(): void
}
