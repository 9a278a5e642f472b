/** The topology model: sites, instances, networks. Shared vocabulary: this module imports nothing else from src/. */
import type {ClusterRole} from './vocabulary.js'

/** Docker's health check of an instance (config/topology.ts validates and defaults it). */
export interface HealthSpec {
  /** argv run inside the container. */
  test: string[]
  interval: number
  timeout: number
  retries: number
  start_period: number
}

export interface PortSpec {
  container: number
  host: number
  host_ip: string
  protocol: 'tcp' | 'udp'
}

/** The cluster a service forms, and what the topology needs of it before it counts as healthy. */
interface ClusterBase {
  /** Roles that must be present, with how many of each. */
  ready_when: Record<ClusterRole, number>
}

/** Which role reader reads the instances' roles (src/cluster/), with what it needs. */
export type ClusterSpec =
  | (ClusterBase & {
      manager: 'patroni'
      /** Patroni's REST API port inside the container. */
      api_port: number
    })
  | (ClusterBase & {
      manager: 'command'
      /** argv run in each member; the first line of its output names the role. */
      command: string[]
      /** Output words mapped to roles beyond the usual ones. */
      outputs: Record<string, ClusterRole>
      timeout: number
    })
  | (ClusterBase & {
      manager: 'http'
      port: number
      /** A path per role answering 2xx on the member holding it. */
      paths: {leader: string; sync_standby?: string; replica?: string}
      timeout: number
    })

/** A topology after validation and defaulting: every container it will run, fully spelled out. */
export interface Topology {
  /** Absolute path of the topology file. */
  file: string
  sha256: string
  /** Project name; the io.firedrill.project label of everything this topology creates. */
  project: string
  /** Set on a copy made for `run --parallel`: the project of the topology it copies (label io.firedrill.copy-of). */
  copyOf?: string
  description?: string
  sites: Site[]
  instances: Instance[]
  /** Per-site networks and the WAN network every site is attached to. */
  networks: NetworkPlan[]
  images: ImagePlan[]
  upTimeoutMs: number
  /**
   * The Docker engines the sites run on, each used by at least one site. One entry named `local` (the
   * engine DOCKER_HOST or the default socket names) when the topology names none.
   */
  engines: EnginePlan[]
}

export interface Site {
  name: string
  role: 'primary' | 'standby' | 'replica' | 'witness'
  /** The name of the engine (in Topology.engines) its containers, volumes and faults run on. */
  engine: string
}

/** The engine `local`: whatever DOCKER_HOST (or the default socket) names, as for a topology with no `engines:`. */
export const LOCAL_ENGINE = 'local'

/**
 * How the runner reaches one engine. Secrets are never in the topology: TLS material by file path
 * (or a directory named by an environment variable, as DOCKER_CERT_PATH); SSH keys from the agent or
 * a private key file by path. SSH host keys are checked against a known_hosts file.
 */
export type EngineEndpointSpec =
  | {kind: 'local'}
  | {kind: 'unix'; socketPath: string}
  | {kind: 'tcp'; host: string; port: number; tls?: {ca: string; cert: string; key: string}; insecure: boolean}
  | {
      kind: 'ssh'
      host: string
      port: number
      username?: string
      /** The private key file (read when the engine is first used); without it, the keys of the SSH agent (SSH_AUTH_SOCK). */
      privateKey?: string
      /** The OpenSSH known_hosts file the engine's host key must be in: the topology's ssh.known_hosts, or ~/.ssh/known_hosts. */
      knownHosts: string
    }

export interface EnginePlan {
  name: string
  endpoint: EngineEndpointSpec
  /** The endpoint as messages and evidence show it: no secret, only where (tcp://host:port, ssh://user@host). */
  describe: string
}

export interface NetworkPlan {
  name: string
  /** The site this network belongs to, or undefined for the WAN. */
  site?: string
  /** The subnet the topology asks for (CIDR); undefined lets the engine pick one. */
  subnet?: string
  /**
   * bridge on one engine (sites all on one engine: as always); an attachable swarm-scoped overlay
   * created on a manager when the sites span several engines.
   */
  driver: 'bridge' | 'overlay'
  /** An overlay with IPsec between hosts (`wan: {encrypted: true}`). */
  encrypted: boolean
}

/** Whether the topology's sites span more than one engine (overlay networks, a swarm). */
export function spansEngines(topology: Partial<Pick<Topology, 'engines'>>): boolean {
  return (topology.engines?.length ?? 1) > 1
}

/** The engine a site runs on. */
export function engineOfSite(topology: Pick<Topology, 'sites'>, site: string): string {
  return topology.sites.find((s) => s.name === site)?.engine ?? LOCAL_ENGINE
}

export interface ImagePlan {
  ref: string
  build?: {contextDir: string; dockerfile: string; args: Record<string, string>}
}

/** One container: a service placed on one site. */
export interface Instance {
  service: string
  site: string
  containerName: string
  hostname: string
  image: string
  command?: string[]
  user?: string
  env: Record<string, string>
  health?: HealthSpec
  ports: PortSpec[]
  /** sizeBytes: a tmpfs-backed volume of that size (emptied when its container stops). */
  volumes: {volumeName: string; target: string; sizeBytes?: number}[]
  cluster?: ClusterSpec
  stopTimeoutMs: number
}

export const WAN = 'wan'

export function networkName(project: string, site: string | undefined): string {
  return `fd-${project}-${site ?? WAN}`
}

export function containerName(project: string, service: string, site: string): string {
  return `fd-${project}-${service}-${site}`
}

/** The project of copy number `slot` (1, 2, ...) of a topology, as `run --parallel` makes them. */
export function copyProjectName(project: string, slot: number): string {
  return `${project}-p${slot}`
}
