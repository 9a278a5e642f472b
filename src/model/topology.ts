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
}

export interface Site {
  name: string
  role: 'primary' | 'standby' | 'replica' | 'witness'
}

export interface NetworkPlan {
  name: string
  /** The site this network belongs to, or undefined for the WAN. */
  site?: string
  /** The subnet the topology asks for (CIDR); undefined lets the engine pick one. */
  subnet?: string
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
