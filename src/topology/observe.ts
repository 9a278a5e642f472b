import {fetchLeaderStatus, fetchPatroniCluster, isServing, type ReplicationEntry} from '../cluster/patroni.js'
import type {ClusterRole} from '../config/drill.js'
import type {ContainerExec, ContainerSummary, Containers} from '../engine/engine.js'
import {errorMessage} from '../errors.js'
import {LABEL, projectFilter} from '../engine/labels.js'
import {NET_HELPER_ROLE} from '../faults/net-helper.js'
import {networkName, type Instance, type Topology} from './model.js'

/** What is running for one instance right now. */
export interface ObservedInstance {
  instance: Instance
  container?: ContainerSummary
  /** The address the host reaches it on: its WAN address, as a client in another site would. */
  address?: string
  role?: ClusterRole | 'other'
  memberState?: string
  /** For a standby: whether the leader's pg_stat_replication shows it streaming. */
  streaming?: boolean
  /**
   * The instance's health test as firedrill ran it just now (checkHealthNow), where the engine's own
   * status was not `healthy`: the engine runs it only every `interval` (30 s by default, so that an
   * idle topology costs little), so its status can lag a container that has just become healthy.
   */
  healthNow?: {ok: boolean; detail: string}
}

export interface Observation {
  instances: ObservedInstance[]
  /** Containers carrying this project's label that the topology does not describe. */
  strangers: ContainerSummary[]
}

const PATRONI_TIMEOUT_MS = 1500

export async function observe(topology: Topology, engine: Pick<Containers, 'listContainers'>): Promise<Observation> {
  const containers = await engine.listContainers(projectFilter(topology.project))
  const byName = new Map(containers.map((c) => [c.name, c]))
  const wan = networkName(topology.project, undefined)
  const instances: ObservedInstance[] = topology.instances.map((instance) => {
    const container = byName.get(instance.containerName)
    const address = container ? (container.addresses[wan] ?? Object.values(container.addresses)[0]) : undefined
    return {instance, container, address}
  })

  const byService = new Map<string, ObservedInstance[]>()
  for (const o of instances) if (o.instance.cluster) byService.set(o.instance.service, [...(byService.get(o.instance.service) ?? []), o])
  await Promise.all(
    [...byService.values()].map(async (members) => {
      const port = members[0]!.instance.cluster!.api_port
      // Every running member's view. Patroni 3.0.2 reads etcd serializable (patroni/dcs/etcd3.py: "We can
      // tolerate stale reads"), so a member that was cut off, or whose etcd member lags, can answer from a
      // stale copy (a healed old primary naming itself leader). The leader most views name wins, and its
      // own view decides (it writes the leader and /sync keys); the first answer only breaks a tie.
      const running = members.filter((m) => m.container?.state === 'running' && m.address)
      const views = await Promise.all(
        running.map(async (m) => ({m, cluster: await fetchPatroniCluster(m.address!, port, PATRONI_TIMEOUT_MS).catch(() => undefined)})),
      )
      const answered = views.filter((v) => v.cluster !== undefined)
      const leaderIn = (v: (typeof answered)[number]) => v.cluster!.find((c) => c.role === 'leader')?.name
      const votes = new Map<string, number>()
      for (const v of answered) {
        const name = leaderIn(v)
        if (name) votes.set(name, (votes.get(name) ?? 0) + 1)
      }
      const top = Math.max(0, ...votes.values())
      const named = answered.map(leaderIn).find((name) => name !== undefined && votes.get(name) === top)
      const chosen = answered.find((v) => v.m.instance.hostname === named && leaderIn(v) === named) ?? answered.find((v) => leaderIn(v) === named) ?? answered[0]
      const cluster = chosen?.cluster
      if (!cluster) return
      for (const m of members) {
        const member = cluster.find((c) => c.name === m.instance.hostname)
        // A stopped container may still be listed by the DCS until its key expires; trust the engine.
        if (member && m.container?.state === 'running') {
          m.role = member.role
          m.memberState = member.state
        }
      }
      const leader = members.find((m) => m.role === 'leader' && m.address)
      let replication: ReplicationEntry[] = []
      if (leader) {
        const status = await fetchLeaderStatus(leader.address!, port, PATRONI_TIMEOUT_MS).catch(() => undefined)
        replication = status?.replication ?? []
        // The leader key outlives a demotion (Patroni 3.0.2 keeps it while it demotes itself, seen after
        // an isolation was healed): a leader whose PostgreSQL is read-only is not serving yet.
        if (status && status.role !== 'leader') leader.memberState = `${leader.memberState ?? 'unknown'}, but read-only (${status.role})`
      }
      for (const m of members) {
        if (m.role && m.role !== 'leader') m.streaming = replication.some((r) => r.name === m.instance.hostname && r.state === 'streaming')
      }
    }),
  )
  const known = new Set(topology.instances.map((i) => i.containerName))
  // Network-fault helpers are fault state, not topology: the runner heals leftovers of a crashed run.
  return {instances, strangers: containers.filter((c) => !known.has(c.name) && c.labels[LABEL.role] !== NET_HELPER_ROLE)}
}

/**
 * Run each running instance's health test now, the way the engine runs it (exec, the test's argv,
 * its timeout), where the engine's last verdict is not `healthy`. Readiness takes this result rather
 * than wait up to an interval for the engine's next check: the engine's checks can then be rare.
 */
export async function checkHealthNow(observation: Observation, engine: Pick<ContainerExec, 'exec'>, passed?: HealthPasses): Promise<void> {
  await Promise.all(
    observation.instances.map(async (o) => {
      const health = o.instance.health
      if (!health || !o.container || o.container.state !== 'running' || o.container.health === 'healthy') return
      // Within one wait, a check that passed moments ago is not run again every poll.
      const at = passed?.clock.now()
      const before = passed?.byContainer.get(o.container.id)
      if (at !== undefined && before !== undefined && at - before < HEALTH_PASS_REUSE_MS && o.container.health !== 'unhealthy') {
        o.healthNow = {ok: true, detail: 'passes'}
        return
      }
      try {
        const r = await engine.exec(o.container.id, health.test, {timeoutMs: health.timeout})
        const said = (r.stderr.trim() || r.stdout.trim()).split('\n').at(-1)?.slice(0, 200)
        o.healthNow = r.exitCode === 0 ? {ok: true, detail: 'passes'} : {ok: false, detail: `exit ${r.exitCode}${said ? `: ${said}` : ''}`}
      } catch (error) {
        o.healthNow = {ok: false, detail: errorMessage(error)}
      }
      if (passed && at !== undefined) {
        if (o.healthNow.ok) passed.byContainer.set(o.container.id, at)
        else passed.byContainer.delete(o.container.id)
      }
    }),
  )
}

/** How long a passing check of firedrill's own stands for, within one wait (the engine's status still rules once it says unhealthy). */
export const HEALTH_PASS_REUSE_MS = 5000

/** Checks that passed during one wait, by container id, with when (the wait's clock). */
export interface HealthPasses {
  clock: {now(): number}
  byContainer: Map<string, number>
}

/** Why the topology is not yet healthy; empty when it is. */
export function unhealthyReasons(observation: Observation): string[] {
  const reasons: string[] = []
  const services = new Map<string, ObservedInstance[]>()
  for (const o of observation.instances) {
    const name = `${o.instance.service}@${o.instance.site}`
    if (!o.container) reasons.push(`${name}: no container`)
    else if (o.container.state !== 'running') reasons.push(`${name}: ${o.container.state}`)
    else if (o.instance.health && o.container.health !== 'healthy' && !o.healthNow?.ok) {
      reasons.push(`${name}: health ${o.healthNow ? `check failing (${o.healthNow.detail})` : o.container.health}`)
    }
    services.set(o.instance.service, [...(services.get(o.instance.service) ?? []), o])
  }
  for (const [service, members] of services) {
    const cluster = members[0]!.instance.cluster
    if (!cluster) continue
    const serving = members.filter((m) => m.role && isServing({name: '', role: m.role, state: m.memberState ?? ''}, m.streaming))
    for (const role of ['leader', 'sync_standby', 'replica'] as const) {
      const want = cluster.ready_when[role]
      const have = serving.filter((m) => m.role === role).length
      if (have < want) reasons.push(`${service}: ${have} of ${want} ${role === 'leader' ? 'leader' : `streaming ${role.replace('_', ' ')}`}`)
    }
  }
  return reasons
}

