import {endpointOf, type Reachable} from '../model/reach.js'
import type {ClusterRole} from '../model/vocabulary.js'
import type {ClusterMember, ClusterSpecOf, MemberRole, RoleReader} from './role-reader.js'

/** One member of a Patroni cluster as its REST API reports it. */
export interface PatroniMember {
  name: string
  role: ClusterRole | 'other'
  /** Patroni's own words: running, streaming, starting, stopped, … */
  state: string
  lagBytes?: number
  timeline?: number
}

interface ClusterResponse {
  members?: {name: string; role: string; state: string; lag?: number | string; timeline?: number}[]
}

/** Patroni names roles differently across versions (master/primary/leader); firedrill uses one vocabulary. */
export function normalizeRole(role: string): ClusterRole | 'other' {
  switch (role) {
    case 'leader':
    case 'master':
    case 'primary':
    case 'standby_leader':
      return 'leader'
    case 'sync_standby':
      return 'sync_standby'
    case 'replica':
      return 'replica'
    default:
      return 'other'
  }
}

/** GET /cluster from one member; any member answers with the whole cluster as the DCS sees it. */
export async function fetchPatroniCluster(member: Reachable, port: number, timeoutMs: number): Promise<PatroniMember[]> {
  const at = await endpointOf(member, port)
  const response = await fetch(`http://${at.host}:${at.port}/cluster`, {signal: AbortSignal.timeout(timeoutMs)})
  if (!response.ok) throw new Error(`Patroni at ${member.address}:${port} answered HTTP ${response.status}`)
  const body = (await response.json()) as ClusterResponse
  return (body.members ?? []).map((m) => ({
    name: m.name,
    role: normalizeRole(m.role),
    state: m.state,
    lagBytes: typeof m.lag === 'number' ? m.lag : undefined,
    timeline: m.timeline,
  }))
}

/** One standby as the leader's pg_stat_replication shows it (GET /patroni on the leader). */
export interface ReplicationEntry {
  name: string
  state: string
  syncState: string
}

/** What the leader says of itself (GET /patroni): its own role (the cluster view may lag behind a demotion) and its standbys. */
export interface LeaderStatus {
  /** The node's own role, normalized: `leader` only while PostgreSQL there runs read-write. */
  role: ClusterRole | 'other'
  replication: ReplicationEntry[]
}

export async function fetchLeaderStatus(member: Reachable, port: number, timeoutMs: number): Promise<LeaderStatus> {
  const at = await endpointOf(member, port)
  const response = await fetch(`http://${at.host}:${at.port}/patroni`, {signal: AbortSignal.timeout(timeoutMs)})
  if (!response.ok) throw new Error(`Patroni at ${member.address}:${port} answered HTTP ${response.status}`)
  const body = (await response.json()) as {role?: string; replication?: {application_name: string; state: string; sync_state: string}[]}
  return {
    role: normalizeRole(body.role ?? ''),
    replication: (body.replication ?? []).map((r) => ({name: r.application_name, state: r.state, syncState: r.sync_state})),
  }
}

/**
 * A member counts for readiness only when its PostgreSQL is up (Patroni 3.0 says "running" for every
 * role; later versions say "streaming" for standbys) and, for a standby, the leader sees it streaming.
 */
export function isServing(member: PatroniMember, streaming: boolean | undefined): boolean {
  if (member.role === 'leader') return member.state === 'running'
  return (member.state === 'streaming' || member.state === 'running') && streaming === true
}

const PATRONI_TIMEOUT_MS = 1500

/**
 * The cluster as the members agree it is. Every running member's view is read: Patroni 3.0.2 reads etcd
 * serializable (patroni/dcs/etcd3.py: "We can tolerate stale reads"), so a member that was cut off, or
 * whose etcd member lags, can answer from a stale copy (a healed old primary naming itself leader). The
 * leader most views name wins, and its own view decides (it writes the leader and /sync keys); the first
 * answer only breaks a tie. Undefined when no member answered.
 */
async function clusterView(members: readonly ClusterMember[], port: number): Promise<PatroniMember[] | undefined> {
  const views = await Promise.all(members.map(async (m) => ({name: m.name, cluster: await fetchPatroniCluster(m, port, PATRONI_TIMEOUT_MS).catch(() => undefined)})))
  const answered = views.flatMap((v) => (v.cluster ? [{name: v.name, cluster: v.cluster}] : []))
  const leaderIn = (v: (typeof answered)[number]) => v.cluster.find((c) => c.role === 'leader')?.name
  const votes = new Map<string, number>()
  for (const v of answered) {
    const name = leaderIn(v)
    if (name) votes.set(name, (votes.get(name) ?? 0) + 1)
  }
  const top = Math.max(0, ...votes.values())
  const named = answered.map(leaderIn).find((name) => name !== undefined && votes.get(name) === top)
  const chosen = answered.find((v) => v.name === named && leaderIn(v) === named) ?? answered.find((v) => leaderIn(v) === named) ?? answered[0]
  return chosen?.cluster
}

/**
 * The role reader for Patroni: GET /cluster from every running member, the view most of them agree on
 * (roles and states as the DCS sees them), then GET /patroni on the leader (its own role, and which standbys stream from it).
 */
export const patroniRoleReader: RoleReader<ClusterSpecOf<'patroni'>> = {
  async readRoles(members, cluster) {
    const seen = await clusterView(members, cluster.api_port)
    if (!seen) return undefined
    const roles = new Map<string, MemberRole>()
    for (const m of members) {
      const member = seen.find((c) => c.name === m.name)
      if (member) roles.set(m.name, {role: member.role, state: member.state})
    }
    const leaderName = [...roles].find(([, r]) => r.role === 'leader')?.[0]
    const leader = leaderName === undefined ? undefined : members.find((m) => m.name === leaderName)
    let replication: ReplicationEntry[] = []
    if (leader) {
      const status = await fetchLeaderStatus(leader, cluster.api_port, PATRONI_TIMEOUT_MS).catch(() => undefined)
      replication = status?.replication ?? []
      // The leader key outlives a demotion (Patroni 3.0.2 keeps it while it demotes itself, seen after
      // an isolation was healed): a leader whose PostgreSQL is read-only is not serving yet.
      const own = roles.get(leader.name)
      if (own && status && status.role !== 'leader') own.state = `${own.state}, but read-only (${status.role})`
    }
    for (const [name, r] of roles) {
      if (r.role !== 'leader') r.streaming = replication.some((e) => e.name === name && e.state === 'streaming')
    }
    return roles
  },
  serving: (member) => isServing({name: '', role: member.role, state: member.state}, member.streaming),
}
