import net from 'node:net'

import {DrillAbortedError, EngineUnavailableError, EnvironmentError, errorMessage} from '../errors.js'
import {engineEndpoint} from '../engine/endpoint.js'
import type {RouteVia} from '../model/reach.js'
import type {Engine} from '../engine/engine.js'
import {LABEL, projectFilter, type Labels} from '../engine/labels.js'
import {type Progress, silentProgress} from '../util/progress.js'
import {overlaps, parseCidr} from '../util/cidr.js'
import {pollUntil, systemClock, type Clock} from '../util/time.js'
import {engineOfSite, networkName, spansEngines, type Instance, type Topology} from '../model/topology.js'
import {checkHealthNow, observe, unhealthyReasons, type HealthPasses, type Observation} from './observe.js'
import {decideRoute, isRelay, reachTarget, relayRequest, routeOf, tryConnect, unreachableThroughRelay} from './relay.js'

export interface UpOptions {
  /** Build arguments applied to every image built (e.g. BASE_IMAGE). */
  buildArgs?: Record<string, string>
  /** Rebuild images even when present (Docker's cache keeps this quick). */
  rebuild?: boolean
  progress?: Progress
  clock?: Clock
  signal?: AbortSignal
  /**
   * The relay's image, made ready on the engine (the net-helper image: iptables), asked for only when the
   * runner cannot reach the containers directly. Without it, such a topology is refused with why.
   */
  relayImage?: () => Promise<string>
}

export interface UpResult {
  project: string
  /** False when the topology was already up and healthy. */
  created: boolean
  duration_ms: number
  /** Time from the first container start to healthy. */
  healthy_after_start_ms?: number
  /** How the runner reaches the containers: directly, or through the relay (and why). */
  route: RouteVia
}

const VERSION_LABEL = process.env.npm_package_version ?? 'dev'

function baseLabels(topology: Topology): Labels {
  return {[LABEL.project]: topology.project, [LABEL.role]: 'topology', [LABEL.version]: VERSION_LABEL, ...(topology.copyOf ? {[LABEL.copyOf]: topology.copyOf} : {})}
}

/** Build images the topology needs (missing ones, or all with `rebuild`). Returns ref → image ID. */
export async function ensureImages(topology: Topology, engine: Engine, opts: UpOptions = {}): Promise<Record<string, string>> {
  const progress = opts.progress ?? silentProgress
  const ids: Record<string, string> = {}
  for (const image of topology.images) {
    const existing = await engine.imageId(image.ref)
    if (existing && !opts.rebuild) {
      ids[image.ref] = existing
      continue
    }
    if (!image.build) {
      if (existing) {
        ids[image.ref] = existing
        continue
      }
      throw new EnvironmentError(`image ${image.ref} is not on this machine and its service has no build context`, [
        `docker pull ${image.ref}`,
        `or add build: {context: DIR} to the service in ${topology.file}`,
      ])
    }
    const build = image.build
    ids[image.ref] = await progress.phase(`Build image ${image.ref}`, (update) =>
      engine.buildImage(
        {
          ref: image.ref,
          contextDir: build.contextDir,
          dockerfile: build.dockerfile,
          args: {...build.args, ...opts.buildArgs},
          labels: {[LABEL.project]: topology.project},
        },
        (line) => update(line.slice(0, 120)),
      ),
    )
  }
  return ids
}

/**
 * Bring the topology up and wait until it is really healthy: containers running and healthy,
 * and every cluster showing the roles it must have. On failure, removes what it created.
 */
export async function bringUp(topology: Topology, engine: Engine, opts: UpOptions = {}): Promise<UpResult> {
  const clock = opts.clock ?? systemClock
  const progress = opts.progress ?? silentProgress
  const started = clock.now()

  const existing = await observe(topology, engine)
  const present = existing.instances.filter((o) => o.container)
  if (present.length === topology.instances.length && existing.strangers.length === 0) {
    // Already there: start anything stopped and wait for health, create nothing.
    await Promise.all(present.filter((o) => o.container!.state !== 'running').map((o) => engine.startContainer(o.container!.id)))
    const route = await ensureRoute(topology, engine, opts, [])
    await waitHealthy(topology, engine, {...opts, timeoutMs: topology.upTimeoutMs})
    return {project: topology.project, created: false, duration_ms: Math.round(clock.now() - started), route}
  }
  const relay = existing.route.via.kind === 'relay' ? [existing.route.via.container] : []
  if (present.length > 0 || existing.strangers.length > 0 || relay.length > 0) {
    const names = [...present.map((o) => o.container!.name), ...existing.strangers.map((c) => c.name), ...relay]
    throw new EnvironmentError(`topology ${topology.project} is partly up (${names.join(', ')}); firedrill will not guess how to finish it`, [
      `firedrill down --topology ${topology.file}`,
    ])
  }

  // Sites on several engines share overlay networks: every engine must be in one swarm (firedrill never forms it).
  if (spansEngines(topology)) {
    if (!engine.checkSwarm) throw new EnvironmentError(`topology ${topology.project} places its sites on ${topology.engines.length} engines, and this engine client cannot check their swarm`)
    await progress.phase(`Check the swarm of ${topology.engines.length} engines`, () => engine.checkSwarm!())
  }
  await ensureImages(topology, engine, opts)
  await progress.phase('Check names and ports', () => preflight(topology, engine))

  const created = {containers: [] as string[], networks: [] as string[], volumes: [] as string[]}
  try {
    await progress.phase(`Create ${topology.networks.length} networks`, async () => {
      await Promise.all(
        topology.networks.map(async (n) => {
          const labels = {...baseLabels(topology), ...(n.site ? {[LABEL.site]: n.site} : {})}
          created.networks.push(await engine.createNetwork({name: n.name, labels, subnet: n.subnet, driver: n.driver, encrypted: n.encrypted}))
        }),
      )
    })
    opts.signal?.throwIfAborted()
    await progress.phase(`Create ${topology.instances.length} containers`, async () => {
      await Promise.all(
        topology.instances.flatMap((i) =>
          i.volumes.map(async (v) => {
            await engine.createVolume({name: v.volumeName, labels: instanceLabels(topology, i), sizeBytes: v.sizeBytes})
            created.volumes.push(v.volumeName)
          }),
        ),
      )
      await Promise.all(
        topology.instances.map(async (i) => {
          created.containers.push(await engine.createContainer(containerRequest(topology, i)))
        }),
      )
    })
    opts.signal?.throwIfAborted()
    const startedAt = await progress.phase(`Start ${topology.instances.length} containers`, async () => {
      const t = clock.now()
      await Promise.all(created.containers.map((id) => engine.startContainer(id)))
      return t
    })
    // Before waiting on roles read over the network: can the runner reach the containers at all?
    const route = await progress.phase('Check the runner reaches the containers', () => ensureRoute(topology, engine, opts, created.containers))
    await waitHealthy(topology, engine, {...opts, timeoutMs: topology.upTimeoutMs})
    return {project: topology.project, created: true, duration_ms: Math.round(clock.now() - started), healthy_after_start_ms: Math.round(clock.now() - startedAt), route}
  } catch (error) {
    await progress.phase('Remove what was created', async () => {
      await Promise.allSettled(created.containers.map((id) => engine.removeContainer(id)))
      await Promise.allSettled(created.networks.map((id) => engine.removeNetwork(id)))
      await Promise.allSettled(created.volumes.map((name) => engine.removeVolume(name)))
    })
    throw error
  }
}

/**
 * How the runner reaches the topology's containers, settled before anything waits on them: directly when
 * it can (decideRoute asks), else through a relay created here (its id pushed to `created`, so a failed
 * `up` removes it with the rest), checked by a connect through it. When even the relay does not get
 * through, the error says so at once (exit 3) instead of waiting for roles nobody can read.
 */
export async function ensureRoute(topology: Topology, engine: Engine, opts: Pick<UpOptions, 'relayImage'>, created: string[], connect = tryConnect): Promise<RouteVia> {
  const endpoint = engine.endpoint?.() ?? engineEndpoint(undefined)
  let containers = await engine.listContainers(projectFilter(topology.project))
  const target = reachTarget(topology, containers)
  if (!containers.some(isRelay)) {
    const decision = await decideRoute(endpoint, target, connect, topology.networks.some((n) => n.driver === 'overlay'))
    if (!decision.relay) return {kind: 'direct'}
    if (!opts.relayImage) {
      throw new EngineUnavailableError(`the runner cannot reach the topology's containers: ${decision.why}, and no relay can be made here`, [
        'run firedrill up, which sets up a relay on the engine',
      ])
    }
    const image = await opts.relayImage()
    const id = await engine.createContainer(relayRequest(topology, image, endpoint, decision.why))
    created.push(id)
    await engine.startContainer(id)
    containers = await engine.listContainers(projectFilter(topology.project))
  }
  const relay = containers.find(isRelay)!
  if (relay.state !== 'running') {
    throw await abortWithLogs(engine, `the relay ${relay.name}, through which the runner reaches the topology's containers, is ${relay.state}`, relay.id)
  }
  const route = routeOf(engine, containers, {overlay: topology.networks.some((n) => n.driver === 'overlay')})
  if (target) {
    const via = await route.endpoint(target.address, target.port)
    const outcome = await connect(via.host, via.port, RELAY_CHECK_TIMEOUT_MS)
    if (outcome.kind === 'unreachable') throw unreachableThroughRelay(relay.name, via, target, outcome.detail, endpoint)
  }
  return route.via
}

/** A connect through the relay that gets no answer in this long means the runner cannot reach its published ports. */
const RELAY_CHECK_TIMEOUT_MS = 3000

/**
 * Wait until the topology is healthy; DrillAbortedError naming what is still wrong, with log tails, if it
 * is not in time. `leftDown`: containers a fault left down on purpose (revert: false), not waited on.
 */
export async function waitHealthy(
  topology: Topology,
  engine: Engine,
  opts: {timeoutMs: number; progress?: Progress; clock?: Clock; signal?: AbortSignal; leftDown?: ReadonlySet<string>},
): Promise<Observation> {
  const progress = opts.progress ?? silentProgress
  let last: Observation | undefined
  let reasons: string[] = []
  const passes: HealthPasses = {clock: opts.clock ?? systemClock, byContainer: new Map()}
  const ready = await progress.phase('Wait until healthy', (update) =>
    pollUntil(
      async () => {
        last = await observe(topology, engine)
        await checkHealthNow(last, engine, passes)
        reasons = unhealthyReasons(last, opts.leftDown)
        if (reasons.length === 0) return last
        update(`waiting for: ${reasons.join('; ')}`)
        // A container that exited will not become healthy on its own.
        const dead = last.instances.find((o) => o.container && ['exited', 'dead'].includes(o.container.state) && !opts.leftDown?.has(o.instance.containerName))
        if (dead) throw await abortWithLogs(engine, `${dead.instance.containerName} exited while starting`, dead.container!.id)
        return undefined
      },
      {timeoutMs: opts.timeoutMs, intervalMs: 500, clock: opts.clock, signal: opts.signal},
    ),
  )
  if (ready) return ready
  const stuck = last?.instances.find((o) => o.container && (o.container.health === 'unhealthy' || o.container.health === 'starting') && !o.healthNow?.ok)
  const message = `topology ${topology.project} was not healthy after ${Math.round(opts.timeoutMs / 1000)} s: ${reasons.join('; ')}`
  throw stuck ? await abortWithLogs(engine, message, stuck.container!.id) : new DrillAbortedError(message)
}

async function abortWithLogs(engine: Engine, message: string, containerId: string): Promise<DrillAbortedError> {
  let logs = ''
  try {
    logs = await engine.containerLogs(containerId, 15)
  } catch (error) {
    logs = `(logs unavailable: ${errorMessage(error)})`
  }
  return new DrillAbortedError(`${message}\nlast log lines:\n${logs.trimEnd()}`)
}

export interface DownResult {
  project: string
  containers: number
  networks: number
  volumes: number
}

/** Remove everything labelled with this project; nothing there is fine. */
export async function tearDown(project: string, engine: Engine, progress: Progress = silentProgress): Promise<DownResult> {
  return progress.phase(`Remove topology ${project}`, async () => removeLabelled(project, projectFilter(project), engine))
}

/**
 * Remove a topology copy `run --parallel` made (at the end of the run, or what a killed run left):
 * only what carries both the copy's project and its io.firedrill.copy-of label, so a topology someone
 * named like a copy is never touched.
 */
export async function removeCopy(copy: Topology, engine: Engine): Promise<DownResult> {
  if (!copy.copyOf) throw new Error(`${copy.project} is not a copy`)
  return removeLabelled(copy.project, [...projectFilter(copy.project), `${LABEL.copyOf}=${copy.copyOf}`], engine)
}

/** Containers first (they hold the networks and volumes), then networks, then volumes: what the filter picks. */
async function removeLabelled(project: string, filter: string[], engine: Engine): Promise<DownResult> {
  const containers = await engine.listContainers(filter)
  await Promise.all(containers.map((c) => engine.removeContainer(c.id)))
  const networks = await engine.listNetworks(filter)
  await Promise.all(networks.map((n) => engine.removeNetwork(n.id)))
  const volumes = await engine.listVolumes(filter)
  await Promise.all(volumes.map((v) => engine.removeVolume(v.name)))
  return {project, containers: containers.length, networks: networks.length, volumes: volumes.length}
}

function instanceLabels(topology: Topology, i: Instance): Labels {
  return {...baseLabels(topology), [LABEL.site]: i.site, [LABEL.service]: i.service}
}

function containerRequest(topology: Topology, i: Instance) {
  return {
    name: i.containerName,
    hostname: i.hostname,
    image: i.image,
    command: i.command,
    user: i.user,
    env: i.env,
    labels: instanceLabels(topology, i),
    health: i.health
      ? {
          test: i.health.test,
          intervalMs: i.health.interval,
          timeoutMs: i.health.timeout,
          retries: i.health.retries,
          startPeriodMs: i.health.start_period,
        }
      : undefined,
    ports: i.ports.map((p) => ({container: p.container, host: p.host, hostIp: p.host_ip, protocol: p.protocol})),
    mounts: i.volumes.map((v) => ({volume: v.volumeName, target: v.target})),
    networks: [
      {name: networkName(topology.project, i.site), aliases: [i.hostname]},
      {name: networkName(topology.project, undefined), aliases: [i.hostname]},
    ],
    stopTimeoutMs: i.stopTimeoutMs,
  }
}

/** Everything that would make creation fail half-way, checked before anything is created. */
async function preflight(topology: Topology, engine: Engine): Promise<void> {
  const problems: string[] = []
  for (const i of topology.instances) {
    const other = await engine.findContainerByName(i.containerName)
    if (other) problems.push(`a container named ${i.containerName} already exists and was not created by firedrill for ${topology.project}`)
  }
  for (const n of topology.networks) {
    const other = await engine.findNetworkByName(n.name)
    if (other) problems.push(`a network named ${n.name} already exists and was not created by firedrill for ${topology.project}`)
  }
  const asked = topology.networks.filter((n) => n.subnet !== undefined)
  if (asked.length > 0) {
    const existing = await engine.listNetworks([])
    for (const n of asked) {
      const network = parseCidr(n.subnet!)!
      for (const e of existing) {
        const clash = e.subnets.find((s) => {
          const theirs = parseCidr(s)
          return theirs !== undefined && overlaps(network, theirs)
        })
        if (clash) problems.push(`subnet ${n.subnet} of network ${n.name} overlaps ${clash}, the subnet of network ${e.name} already on the engine`)
      }
    }
  }
  for (const i of topology.instances) {
    // A port published by an engine on another host is not this machine's to check.
    const engineName = engineOfSite(topology, i.site)
    const where = topology.engines?.find((e) => e.name === engineName)
    if (where && where.endpoint.kind !== 'local') continue
    for (const p of i.ports) {
      if (p.protocol !== 'tcp') continue
      const busy = await portInUse(p.host_ip, p.host)
      if (busy) problems.push(`host port ${p.host_ip}:${p.host} (for ${i.service} on ${i.site}) is already in use: ${busy}`)
    }
  }
  if (problems.length > 0) {
    throw new EnvironmentError(problems.join('\n'), [
      'remove or rename what is in the way (docker rm NAME, docker network rm NAME), or change the topology (names, ports, subnets)',
    ])
  }
}

function portInUse(host: string, port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const server = net.createServer()
    server.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message))
    server.listen({host, port, exclusive: true}, () => server.close(() => resolve(undefined)))
  })
}
