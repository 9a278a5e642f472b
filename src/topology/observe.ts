import {roleReaderFor} from '../cluster/registry.js'
import type {ContainerExec, ContainerSummary, Containers, EnginePing} from '../engine/engine.js'
import {LABEL, NET_HELPER_ROLE, projectFilter} from '../engine/labels.js'
import type {Reach} from '../model/reach.js'
import {isRelay, reachThrough, routeOf, type Route} from './relay.js'
import {errorMessage} from '../errors.js'
import {networkName, type Instance, type Topology} from '../model/topology.js'
import type {ClusterRole} from '../model/vocabulary.js'

/** What is running for one instance right now. */
export interface ObservedInstance {
  instance: Instance
  container?: ContainerSummary
  /** Its WAN address, as a client in another site would reach it (the container's own address: what its cluster names it by). */
  address?: string
  /** How the runner reaches a port at that address (directly, or through the relay). */
  reach?: Reach
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
  /** How the runner reaches any address of the topology's containers (src/topology/relay.ts). */
  route: Route
  /** Containers carrying this project's label that the topology does not describe. */
  strangers: ContainerSummary[]
}

/**
 * What is running for each instance, with each clustered member's role as its cluster manager's role
 * reader says. An engine that can exec lets a `command` role reader run its argv in each member.
 */
export async function observe(
  topology: Topology,
  engine: Pick<Containers, 'listContainers'> & Partial<ContainerExec> & Partial<Pick<EnginePing, 'endpoint'>>,
  opts: {roles?: boolean} = {},
): Promise<Observation> {
  const containers = await engine.listContainers(projectFilter(topology.project))
  const byName = new Map(containers.map((c) => [c.name, c]))
  const wan = networkName(topology.project, undefined)
  const route = routeOf(engine, containers, {overlay: topology.networks.some((n) => n.driver === 'overlay')})
  const instances: ObservedInstance[] = topology.instances.map((instance) => {
    const container = byName.get(instance.containerName)
    const address = container ? (container.addresses[wan] ?? Object.values(container.addresses)[0]) : undefined
    return {instance, container, address, ...(address ? {reach: reachThrough(route, address)} : {})}
  })

  const byService = new Map<string, ObservedInstance[]>()
  // roles: false: containers and addresses only (a probe listing where to send, each sample), no cluster manager asked.
  if (opts.roles !== false) for (const o of instances) if (o.instance.cluster) byService.set(o.instance.service, [...(byService.get(o.instance.service) ?? []), o])
  // Roles come from the service's cluster manager, through its role reader (src/cluster/).
  await Promise.all(
    [...byService.values()].map(async (members) => {
      const cluster = members[0]!.instance.cluster!
      const exec = engine.exec?.bind(engine)
      const running = members.flatMap((m) => {
        const container = m.container
        if (container?.state !== 'running' || !m.address) return []
        return [{name: m.instance.hostname, address: m.address, reach: reachThrough(route, m.address), ...(exec ? {exec: (argv: string[], timeoutMs: number) => exec(container.id, argv, {timeoutMs})} : {})}]
      })
      const roles = await roleReaderFor(cluster.manager).readRoles(running, cluster)
      if (!roles) return
      for (const m of members) {
        const member = roles.get(m.instance.hostname)
        // A stopped container may still be listed by the cluster manager until its key expires; trust the engine.
        if (member && m.container?.state === 'running') {
          m.role = member.role
          m.memberState = member.state
          if (member.role !== 'leader') m.streaming = member.streaming
        }
      }
    }),
  )
  const known = new Set(topology.instances.map((i) => i.containerName))
  // Network-fault helpers are fault state, not topology: the runner heals leftovers of a crashed run.
  // The relay is how the runner reaches the containers, not topology either (down removes it with them).
  return {instances, route, strangers: containers.filter((c) => !known.has(c.name) && c.labels[LABEL.role] !== NET_HELPER_ROLE && !isRelay(c))}
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
export function unhealthyReasons(observation: Observation, leftDown: ReadonlySet<string> = new Set()): string[] {
  const reasons: string[] = []
  const services = new Map<string, ObservedInstance[]>()
  // A service with a member left down on purpose (a fault's revert: false) is not held to its ready_when:
  // the drill chose to run it short of a member.
  const short = new Set(observation.instances.filter((o) => leftDown.has(o.instance.containerName)).map((o) => o.instance.service))
  for (const o of observation.instances) {
    if (leftDown.has(o.instance.containerName)) continue
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
    if (!cluster || short.has(service)) continue
    const reader = roleReaderFor(cluster.manager)
    const serving = members.filter((m) => m.role && reader.serving({role: m.role, state: m.memberState ?? '', streaming: m.streaming}))
    for (const role of ['leader', 'sync_standby', 'replica'] as const) {
      const want = cluster.ready_when[role]
      const have = serving.filter((m) => m.role === role).length
      if (have < want) reasons.push(`${service}: ${have} of ${want} ${role === 'leader' ? 'leader' : `streaming ${role.replace('_', ' ')}`}`)
    }
  }
  return reasons
}

