import path from 'node:path'

import {stringify} from 'yaml'

import {LABEL} from '../engine/labels.js'
import type {ClusterSpec} from '../config/topology.js'
import {formatDuration} from '../config/duration.js'
import type {ImagePlan, Instance, Topology} from '../model/topology.js'

/**
 * The docker-compose file equivalent to a topology: the same per-site networks and WAN network (with
 * the subnets the topology asks for), one service per container with the same name, hostname, image,
 * command, user, environment, health check, ports, volumes, stop timeout and labels that
 * `firedrill up` would create. Compose file format 2.4, which Debian's docker-compose 1.29 and
 * Compose v2 both read.
 *
 * What compose does not do: wait until the cluster has its roles (a leader, a sync standby, a
 * streaming replica). `up -d` returns once the containers are started; readiness is the user's loop.
 */
export interface ComposeFile {
  version: '2.4'
  services: Record<string, ComposeService>
  networks: Record<string, ComposeNetwork>
  volumes?: Record<string, {name: string; labels: Record<string, string>; driver?: 'local'; driver_opts?: Record<string, string>}>
  /**
   * What compose has no field for and `firedrill import compose` reads back: the topology's name,
   * description, up_timeout and site roles. Compose ignores `x-` keys (format 2.4 allows them at the
   * top level and in services).
   */
  'x-firedrill': {name: string; description?: string; up_timeout: string; sites: Record<string, {role: string}>}
}

export interface ComposeNetwork {
  name: string
  driver: 'bridge'
  labels: Record<string, string>
  /** Only for a subnet the topology asks for; otherwise the engine picks, as it does for `firedrill up`. */
  ipam?: {config: {subnet: string}[]}
}

export interface ComposeService {
  container_name: string
  hostname: string
  image: string
  build?: {context: string; dockerfile: string; args?: Record<string, string>}
  command?: string[]
  user?: string
  environment?: Record<string, string>
  labels: Record<string, string>
  healthcheck?: {test: string[]; interval: string; timeout: string; retries: number; start_period: string}
  ports?: string[]
  volumes?: {type: 'volume'; source: string; target: string}[]
  networks: Record<string, {aliases: string[]}>
  stop_grace_period: string
  restart: 'no'
  /** The service's cluster settings (Patroni's API port, the roles `up` waits for). */
  'x-firedrill'?: {cluster: ClusterSpec}
}

export interface ComposeOptions {
  /** Where the file will be written: build contexts are made relative to its directory. Absolute paths without it. */
  outDir?: string
}

/** Compose's key for a container: `<service>-<site>`. */
export function composeServiceName(i: Pick<Instance, 'service' | 'site'>): string {
  return `${i.service}-${i.site}`
}

/** Pure: a topology in, the compose document out (render it with `renderCompose`). */
export function toCompose(topology: Topology, opts: ComposeOptions = {}): ComposeFile {
  const base = {[LABEL.project]: topology.project, [LABEL.role]: 'topology'}
  const networks: ComposeFile['networks'] = {}
  for (const n of topology.networks) {
    networks[n.site ?? 'wan'] = {
      name: n.name,
      driver: 'bridge',
      labels: {...base, ...(n.site ? {[LABEL.site]: n.site} : {})},
      ...(n.subnet ? {ipam: {config: [{subnet: n.subnet}]}} : {}),
    }
  }
  const volumes: NonNullable<ComposeFile['volumes']> = {}
  const services: ComposeFile['services'] = {}
  for (const i of topology.instances) {
    const labels = {...base, [LABEL.site]: i.site, [LABEL.service]: i.service}
    for (const v of i.volumes) {
      volumes[v.volumeName] = {
        name: v.volumeName,
        labels,
        ...(v.sizeBytes === undefined ? {} : {driver: 'local' as const, driver_opts: {type: 'tmpfs', device: 'tmpfs', o: `size=${v.sizeBytes}`}}),
      }
    }
    const plan = topology.images.find((img) => img.ref === i.image)
    const service: ComposeService = {
      container_name: i.containerName,
      hostname: i.hostname,
      image: i.image,
      ...(plan?.build ? {build: buildOf(plan.build, opts.outDir)} : {}),
      labels,
      networks: {[i.site]: {aliases: [i.hostname]}, wan: {aliases: [i.hostname]}},
      stop_grace_period: composeDuration(i.stopTimeoutMs),
      restart: 'no',
    }
    if (i.command) service.command = i.command.map(escapeDollar)
    if (i.user) service.user = i.user
    if (Object.keys(i.env).length > 0) service.environment = escapeAll(i.env)
    if (i.health) {
      service.healthcheck = {
        test: ['CMD', ...i.health.test.map(escapeDollar)],
        interval: composeDuration(i.health.interval),
        timeout: composeDuration(i.health.timeout),
        retries: i.health.retries,
        start_period: composeDuration(i.health.start_period),
      }
    }
    if (i.ports.length > 0) service.ports = i.ports.map((p) => `${p.host_ip}:${p.host}:${p.container}/${p.protocol}`)
    if (i.volumes.length > 0) service.volumes = i.volumes.map((v) => ({type: 'volume', source: v.volumeName, target: v.target}))
    if (i.cluster) service['x-firedrill'] = {cluster: i.cluster}
    services[composeServiceName(i)] = service
  }
  const extension: ComposeFile['x-firedrill'] = {
    name: topology.project,
    ...(topology.description ? {description: topology.description} : {}),
    up_timeout: formatDuration(topology.upTimeoutMs),
    sites: Object.fromEntries(topology.sites.map((s) => [s.name, {role: s.role}])),
  }
  return {version: '2.4', services, networks, ...(Object.keys(volumes).length > 0 ? {volumes} : {}), 'x-firedrill': extension}
}

/** The YAML text, with a header saying where it came from and what it leaves out. */
export function renderCompose(topology: Topology, compose: ComposeFile): string {
  const header = [
    `# docker-compose file for topology ${topology.project}, written by firedrill export compose from`,
    `# ${topology.file} (sha256 ${topology.sha256.slice(0, 12)}).`,
    `# Same networks (${topology.networks.map((n) => n.name).join(', ')}), containers, environment, health checks,`,
    '# volumes, ports and io.firedrill.* labels as `firedrill up`, so `firedrill status` and `firedrill down` see it too.',
    `# Run: docker-compose -p ${topology.project} -f FILE up -d. Compose does not wait for cluster roles (leader,`,
    '# sync standby, streaming replica) as `firedrill up` does: check `firedrill status` until it says healthy.',
    '',
  ]
  // YAML 1.1 quoting: docker-compose 1.x (PyYAML) would read a bare `no` as false.
  return header.join('\n') + stringify(compose, {lineWidth: 0, version: '1.1'})
}

function buildOf(build: NonNullable<ImagePlan['build']>, outDir: string | undefined): NonNullable<ComposeService['build']> {
  const context = outDir ? path.relative(outDir, build.contextDir) || '.' : build.contextDir
  return {context, dockerfile: build.dockerfile, ...(Object.keys(build.args).length > 0 ? {args: escapeAll(build.args)} : {})}
}

/** Compose reads `$` in values as interpolation; `$$` is a literal dollar. */
function escapeDollar(value: string): string {
  return value.replaceAll('$', '$$$$')
}

function escapeAll(record: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, escapeDollar(v)]))
}

/** Compose durations: Go-style, e.g. 1500ms, 10s. */
export function composeDuration(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`
}
