import type {Reachable} from '../model/reach.js'
import type {ClusterSpec} from '../model/topology.js'
import type {ClusterRole} from '../model/vocabulary.js'

/** One member of a cluster as its manager reports it now. */
export interface MemberRole {
  role: ClusterRole | 'other'
  /** The manager's own words for the member's state (Patroni: running, streaming, stopped, …), for people. */
  state: string
  /** For a standby: whether its leader sees it streaming. */
  streaming?: boolean
}

/** What running an argv in a member gave: its exit code and output. */
export interface MemberExecResult {
  exitCode: number
  stdout: string
  stderr: string
}

/**
 * A running member the reader may ask: its name in the cluster (the instance's hostname), its container
 * address, and how the runner reaches a port there (`endpointOf(member, port)`: directly or through the relay).
 */
export interface ClusterMember extends Reachable {
  name: string
  /** Run an argv inside the member's container (never through a shell); absent when the caller cannot (then a command reader reads no role). */
  exec?(argv: string[], timeoutMs: number): Promise<MemberExecResult>
}

/** The cluster spec of one manager. */
export type ClusterSpecOf<M extends ClusterSpec['manager']> = Extract<ClusterSpec, {manager: M}>

/**
 * Reads which instance of a clustered service holds which role, and whether each counts for the
 * cluster being ready. observe() asks it (so do status, `role: leader` targets, `wait: role` and up's
 * readiness); one implementation per cluster manager (cluster.manager in the topology), registered
 * in src/cluster/registry.ts.
 */
export interface RoleReader<C extends ClusterSpec = ClusterSpec> {
  /** Each member's role by member name; undefined when no member answered (the cluster is down, or not up yet). */
  readRoles(members: readonly ClusterMember[], cluster: C): Promise<Map<string, MemberRole> | undefined>
  /**
   * Whether a member counts towards the cluster being ready (up's readiness, wait: healthy): for
   * Patroni, a leader whose PostgreSQL runs read-write, a standby its leader sees streaming.
   * The topology is ready when enough members of each role serve (cluster.ready_when).
   */
  serving(member: MemberRole): boolean
}
