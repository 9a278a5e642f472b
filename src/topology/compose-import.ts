import path from 'node:path'

import {split as shellSplit} from 'shlex'
import {Document, isScalar, visit} from 'yaml'
import {z} from 'zod'

import {duration, name, NAME_PATTERN, size, subnet} from '../config/common.js'
import {formatDuration, parseDuration} from '../config/duration.js'
import {SITE_ROLES, topologySchema} from '../config/topology.js'
import type {YamlSource} from '../config/yaml-source.js'
import {LABEL} from '../engine/labels.js'
import {ConfigError, type ConfigIssue} from '../errors.js'

/**
 * `firedrill import compose`: a docker-compose document in, a topology document out, plus a warning for
 * everything in the compose file that a topology cannot express (never dropped silently). Pure: the
 * caller reads the file (YamlSource, so every error and warning has its line) and writes the result.
 *
 * Where each compose service runs, in order of precedence: `--site SERVICE=SITE`, the label
 * `io.firedrill.site`, the service's own `x-firedrill: {site}`, the top-level
 * `x-firedrill: {sites: {SITE: {services: [...]}}}`. Services that differ only by site (`api-seoul`,
 * `api-busan`, or any two services given the same `x-firedrill.service` / `io.firedrill.service`) fold
 * into one topology service with `sites:`; what differs between them (env, command, ports) goes to
 * `per_site:`. docs/DESIGN.md ("Importing a compose file") describes the rules.
 */
export interface ImportOptions {
  /** `--site SERVICE=SITE`: compose service name → site. */
  sites?: Record<string, string>
  /** `--name`: the topology's name (its project). */
  name?: string
  /** `--env NAME=VALUE`: values for `${NAME}` in the compose file. The process environment is never read. */
  env?: Record<string, string>
  /** The directory the topology will be written in: build contexts are made relative to it (absolute without it). */
  outDir?: string
}

export type ImportWarning = ConfigIssue

export interface PortDocument {
  container: number
  host: number
  host_ip?: string
  protocol?: 'tcp' | 'udp'
}

export interface HealthDocument {
  test: string[]
  interval: string
  timeout: string
  retries: number
  start_period?: string
}

export interface ServiceDocument {
  description?: string
  sites: string[]
  image?: string
  build?: {context: string; dockerfile?: string; args?: Record<string, string>}
  command?: string[]
  user?: string
  env?: Record<string, string>
  hostname?: string
  health?: HealthDocument
  ports?: PortDocument[]
  volumes?: {name: string; target: string; size?: number}[]
  cluster?: unknown
  per_site?: Record<string, {env?: Record<string, string>; command?: string[]; ports?: PortDocument[]}>
  stop_timeout?: string
}

/** A topology file's content, in the order `firedrill validate` documents its fields. */
export interface TopologyDocument {
  name: string
  description?: string
  sites: Record<string, {role: (typeof SITE_ROLES)[number]; description?: string; subnet?: string}>
  wan?: {subnet: string}
  services: Record<string, ServiceDocument>
  up_timeout?: string
}

export interface ImportResult {
  topology: TopologyDocument
  warnings: ImportWarning[]
}

type Path = (string | number)[]

/** The top-level `x-firedrill` block. */
const topExtension = z.strictObject({
  name: name('topology name').optional(),
  description: z.string().optional(),
  up_timeout: duration({positive: true}).optional(),
  sites: z
    .record(
      name('site name'),
      z
        .strictObject({
          role: z.enum(SITE_ROLES, {error: `site role must be one of: ${SITE_ROLES.join(', ')}`}).optional(),
          description: z.string().optional(),
          subnet: subnet().optional(),
          /** Compose services placed on this site. */
          services: z.array(z.string()).optional(),
        })
        .nullable(),
    )
    .optional(),
  wan: z.strictObject({subnet: subnet().optional()}).optional(),
})

/** A service's own `x-firedrill` block. */
const serviceExtension = z.strictObject({
  site: name('site name').optional(),
  /** The topology service this compose service is one site of (services given the same name fold into one). */
  service: name('service name').optional(),
  description: z.string().optional(),
  /** Passed through as the topology's `cluster` (checked against the topology schema). */
  cluster: z.unknown().optional(),
})

const TOP_LEVEL_SILENT = new Set(['version', 'name', 'services', 'networks', 'volumes', 'x-firedrill'])

const TOP_LEVEL_MESSAGES: Record<string, string> = {
  secrets: 'secrets are not carried: a topology mounts no secret files; give the service what it needs in environment',
  configs: 'configs are not carried: a topology mounts no config files; build them into the image',
  include: 'include is not resolved: run `docker compose config > merged.yaml` and import that',
}

/** Service keys firedrill reads (the rest are warned about). */
const SERVICE_READ = new Set([
  'image', 'build', 'command', 'entrypoint', 'environment', 'healthcheck', 'ports', 'volumes', 'tmpfs', 'user', 'hostname',
  'stop_grace_period', 'labels', 'container_name', 'networks', 'restart', 'x-firedrill',
])

const SERVICE_MESSAGES: Record<string, string> = {
  deploy: 'deploy (replicas, resources, placement, restart policy) is not carried: firedrill runs one container per service and site',
  secrets: 'secrets are not carried: a topology mounts no secret files; give the service what it needs in environment',
  configs: 'configs are not carried: a topology mounts no config files; build them into the image',
  env_file: 'env_file is not read (it may hold secrets, and firedrill never copies a secret into a file unasked): put the variables the service needs under environment, with ${NAME} and --env NAME=VALUE for the secret ones',
  network_mode: 'network_mode is not carried: every firedrill container is on its own site\'s network and the WAN, so that network faults can cut it off',
  privileged: 'privileged is not carried: firedrill never runs a privileged container',
  cap_add: 'cap_add is not carried: firedrill containers run with the engine\'s default capabilities',
  cap_drop: 'cap_drop is not carried: firedrill containers run with the engine\'s default capabilities',
  extends: 'extends is not resolved: run `docker compose config > merged.yaml` and import that',
  profiles: 'profiles are not carried: every service of a topology runs',
  scale: 'scale is not carried: firedrill runs one container per service and site',
  expose: 'expose is not carried (containers reach each other\'s ports on their networks without it)',
  links: 'links are not carried: containers find each other by hostname on their site\'s network and the WAN',
}

/** Docker's health-check defaults, written out so the imported topology behaves as compose did. */
const DOCKER_HEALTH_DEFAULTS = {interval: 30_000, timeout: 30_000, retries: 3, start_period: 0}

interface Member {
  key: string
  at: Path
  site: string
  service: string
  image?: string
  build?: ServiceDocument['build']
  command?: string[]
  user?: string
  env: Record<string, string>
  hostname: string
  health?: HealthDocument
  ports: PortDocument[]
  volumes: {name: string; target: string; size?: number}[]
  stopTimeout?: string
  description?: string
  cluster?: unknown
  containerName?: string
  /** Its topology service was named (x-firedrill.service or the io.firedrill.service label), not derived from its key. */
  named: boolean
}

export function importCompose(source: YamlSource, opts: ImportOptions = {}): ImportResult {
  return new ComposeImporter(source, opts).run()
}

class ComposeImporter {
  private readonly issues: ConfigIssue[] = []
  private readonly warnings: ImportWarning[] = []
  private readonly defaulted = new Map<string, Path>()
  private readonly composeDir: string

  constructor(
    private readonly source: YamlSource,
    private readonly opts: ImportOptions,
  ) {
    this.composeDir = path.dirname(path.resolve(source.file))
  }

  private error(at: Path, message: string, key?: string): void {
    this.issues.push(this.source.issue(at, message, key === undefined ? {} : {key}))
  }

  private warn(at: Path, message: string, key?: string): void {
    this.warnings.push(this.source.issue(at, message, key === undefined ? {} : {key}))
  }

  private fail(): never {
    throw new ConfigError(this.issues, this.issues.some((i) => i.message.startsWith('no site'))
      ? ['firedrill import compose FILE --site SERVICE=SITE ...', 'or label each service: labels: {io.firedrill.site: SITE}']
      : [])
  }

  run(): ImportResult {
    const root = this.interpolate(this.source.value, []) as Record<string, unknown>
    for (const [name, at] of this.defaulted) this.warn(at, `\${${name}} is not given (--env ${name}=VALUE): its default from the file was used`)
    if (this.issues.length > 0) this.fail()

    for (const key of Object.keys(root)) {
      if (TOP_LEVEL_SILENT.has(key) || key.startsWith('x-')) continue
      this.warn([], TOP_LEVEL_MESSAGES[key] ?? `${key} is not carried: a topology cannot express it`, key)
    }

    const ext = this.extension(topExtension, root['x-firedrill'], ['x-firedrill']) ?? {}
    const services = root.services
    if (services === undefined || services === null) {
      this.error([], 'no services: a compose file to import needs a services mapping with at least one service', 'services')
      this.fail()
    }
    if (!isRecord(services) || Object.keys(services).length === 0) {
      this.error(['services'], isRecord(services) ? 'no services: the services mapping is empty' : 'services must be a mapping of service names to their settings')
      this.fail()
    }
    for (const key of Object.keys(this.opts.sites ?? {})) {
      if (!(key in services)) this.issues.push({file: this.source.file, field: '--site', message: `--site names "${key}", which is not a service of this file (services: ${Object.keys(services).join(', ')})`})
    }

    const project = this.projectName(root, services, ext.name)
    const placed = this.topLevelPlacement(ext.sites ?? {}, services)
    const volumeDefs = isRecord(root.volumes) ? root.volumes : {}
    const members: Member[] = []
    for (const [key, raw] of Object.entries(services)) {
      const at = ['services', key]
      if (!isRecord(raw)) {
        this.error(at, 'a service must be a mapping of its settings')
        continue
      }
      const member = this.member(key, raw, at, placed, volumeDefs)
      if (member) members.push(member)
    }
    if (this.issues.length > 0) this.fail()
    for (const [volume, users] of this.volumeUsers) {
      if (users.length > 1) {
        this.warn(volume in volumeDefs ? ['volumes', volume] : ['services', users[0]!, 'volumes'], `volume ${volume} is shared by ${users.join(', ')} in compose; firedrill gives each container a volume of its own, so they no longer share it`)
      }
    }

    const siteNames = unique([...Object.keys(ext.sites ?? {}), ...members.map((m) => m.site)])
    this.networks(root.networks, siteNames, project)
    for (const m of members) this.memberNetworks(m, services[m.key] as Record<string, unknown>, project)

    const topologyServices: Record<string, ServiceDocument> = {}
    const firstAt = new Map<string, Path>()
    for (const group of this.sameButSite(groupBy(members, (m) => m.service))) {
      const service = this.fold(group)
      if (service) {
        topologyServices[group[0]!.service] = service
        firstAt.set(group[0]!.service, group[0]!.at)
      }
    }
    if (this.issues.length > 0) this.fail()

    const sites: TopologyDocument['sites'] = {}
    const defaultedRoles: string[] = []
    for (const [i, site] of siteNames.entries()) {
      const given = ext.sites?.[site] ?? undefined
      const role = given?.role ?? (i === 0 ? 'primary' : 'standby')
      if (!given?.role) defaultedRoles.push(`${site} ${role}`)
      const subnet = given?.subnet ?? this.networkSubnets.get(site)
      sites[site] = {role, ...(given?.description ? {description: given.description} : {}), ...(subnet ? {subnet} : {})}
    }
    if (defaultedRoles.length > 0 && siteNames.length > 1) {
      this.warn(['x-firedrill'], `site roles not given, so the first site is primary and the others standby: ${defaultedRoles.join(', ')}; say otherwise with x-firedrill: {sites: {SITE: {role: primary|standby|replica|witness}}}`)
    }
    const wanSubnet = ext.wan?.subnet ?? this.networkSubnets.get('wan')

    // A file written by `export compose` has the old project's name where the topology said ${project}
    // (a network name in an environment value: fd-NAME-wan). Imported under another name, those values
    // would point at the old project's containers and networks: they become ${project} again, said in a warning.
    const exportedAs = ext.name ?? Object.values(services).map((s) => (isRecord(s) ? labels(s.labels)[LABEL.project] : undefined)).find((p) => p !== undefined)
    if (exportedAs !== undefined && exportedAs !== project) this.retemplateProject(topologyServices, exportedAs, project, firstAt)

    const topology: TopologyDocument = {
      name: project,
      ...(ext.description ? {description: ext.description} : {}),
      sites,
      ...(wanSubnet ? {wan: {subnet: wanSubnet}} : {}),
      services: topologyServices,
      ...(ext.up_timeout === undefined ? {} : {up_timeout: formatDuration(ext.up_timeout)}),
    }

    // The last guard: anything the topology schema refuses is reported at the compose service it came from.
    const checked = topologySchema.safeParse(topology)
    if (!checked.success) {
      for (const issue of checked.error.issues) {
        const [top, name, ...rest] = issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p))
        const at = top === 'services' && typeof name === 'string' ? (firstAt.get(name) ?? []) : top === 'sites' ? ['x-firedrill', 'sites', String(name)] : []
        this.error(at, `the topology's ${[top, name, ...rest].filter((p) => p !== undefined).join('.')}: ${issue.message}`)
      }
      this.fail()
    }
    return {topology, warnings: this.warnings}
  }

  // ---------------------------------------------------------------- interpolation

  /** Compose's `${NAME}` interpolation over every value (never keys), from --env only; `$$` is a literal `$`. */
  private interpolate(value: unknown, at: Path): unknown {
    if (typeof value === 'string') return this.interpolateString(value, at)
    if (Array.isArray(value)) return value.map((v, i) => this.interpolate(v, [...at, i]))
    if (isRecord(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.interpolate(v, [...at, k])]))
    return value
  }

  private interpolateString(text: string, at: Path): string {
    let out = ''
    for (let i = 0; i < text.length; i++) {
      const c = text[i]!
      if (c !== '$') {
        out += c
        continue
      }
      const next = text[i + 1]
      if (next === '$') {
        out += '$'
        i++
      } else if (next === '{') {
        const end = matchingBrace(text, i + 1)
        if (end < 0) {
          this.error(at, `unclosed \${ in "${text}" (write $$ for a literal $)`)
          return text
        }
        out += this.substitute(text.slice(i + 2, end), at)
        i = end
      } else if (next !== undefined && /[A-Za-z_]/.test(next)) {
        const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i + 1))![0]
        out += this.substitute(name, at)
        i += name.length
      } else {
        out += '$'
      }
    }
    return out
  }

  private substitute(expression: string, at: Path): string {
    const match = /^([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([\s\S]*))?$/.exec(expression)
    if (!match) {
      this.error(at, `"\${${expression}}" is not a variable compose can substitute (write $$ for a literal $)`)
      return ''
    }
    const [, name, op, arg = ''] = match as unknown as [string, string, string | undefined, string | undefined]
    const value = this.opts.env?.[name]
    const set = op?.startsWith(':') ? value !== undefined && value !== '' : value !== undefined
    if (op === ':-' || op === '-') {
      if (set) return value!
      this.defaulted.set(name, at)
      return this.interpolateString(arg, at)
    }
    if (op === ':+' || op === '+') return set ? this.interpolateString(arg, at) : ''
    if (set) return value!
    const why = (op === ':?' || op === '?') && arg ? ` (the file says: ${arg})` : ''
    this.error(at, `\${${name}} has no value${why}: give it with --env ${name}=VALUE (firedrill never reads your environment into a topology)`)
    return ''
  }

  // ---------------------------------------------------------------- names and sites

  private extension<T extends z.ZodType>(schema: T, raw: unknown, at: Path): z.output<T> | undefined {
    if (raw === undefined || raw === null) return undefined
    const parsed = schema.safeParse(raw)
    if (parsed.success) return parsed.data
    this.issues.push(...this.source.zodIssues(parsed.error.issues, schema, at))
    return undefined
  }

  private networkSubnets = new Map<string, string>()
  /** Named volumes → the compose services that mount them (compose shares one; firedrill gives each container its own). */
  private readonly volumeUsers = new Map<string, string[]>()
  private readonly volumesSeen = new Set<string>()

  /** Each whole-word mention of the exported project's name in an environment value, command word or hostname becomes ${project}. */
  private retemplateProject(services: Record<string, ServiceDocument>, exportedAs: string, project: string, firstAt: Map<string, Path>): void {
    const word = new RegExp(`(?<![a-z0-9])${exportedAs.replaceAll(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![a-z0-9])`, 'g')
    const changed: string[] = []
    const redo = (v: string, where: string): string => {
      const out = v.replace(word, '${project}')
      if (out !== v) changed.push(`${where}: ${v} → ${out}`)
      return out
    }
    const env = (e: Record<string, string> | undefined, where: string) => {
      if (e) for (const [k, v] of Object.entries(e)) e[k] = redo(v, `${where}.env.${k}`)
    }
    for (const [name, svc] of Object.entries(services)) {
      env(svc.env, name)
      if (svc.command) svc.command = svc.command.map((w) => redo(w, `${name}.command`))
      if (svc.hostname) svc.hostname = redo(svc.hostname, `${name}.hostname`)
      for (const [site, o] of Object.entries(svc.per_site ?? {})) {
        env(o.env, `${name}.per_site.${site}`)
        if (o.command) o.command = o.command.map((w) => redo(w, `${name}.per_site.${site}.command`))
      }
    }
    if (changed.length > 0) {
      const first = Object.keys(services)[0]
      this.warn(first === undefined ? [] : (firstAt.get(first) ?? []), `this file was exported from topology ${exportedAs} and is imported as ${project}: the old name became \${project} in ${changed.join('; ')}`)
    }
  }

  /** --name, x-firedrill.name, compose's top-level name, the io.firedrill.project label, or the file's directory. */
  private projectName(root: Record<string, unknown>, services: Record<string, unknown>, extName: string | undefined): string {
    const labelled = Object.values(services).map((s) => (isRecord(s) ? labels(s.labels)[LABEL.project] : undefined)).find((p) => p !== undefined)
    const candidates: [string | undefined, string][] = [
      [this.opts.name, '--name'],
      [extName, 'x-firedrill.name'],
      [typeof root.name === 'string' ? root.name : undefined, 'name'],
      [labelled, `the ${LABEL.project} label`],
      [path.basename(this.composeDir), 'the name of the directory holding the file'],
    ]
    const [given, from] = candidates.find(([v]) => v !== undefined) as [string, string]
    const project = sanitize(given)
    if (!NAME_PATTERN.test(project)) {
      this.error(from === 'name' ? ['name'] : [], `the topology needs a name and "${given}" (from ${from}) cannot be one: give --name NAME (a-z, 0-9 and "-", starting with a letter)`)
      this.fail()
    }
    return project
  }

  /** compose service → [site, where it was said] from the top-level x-firedrill.sites.SITE.services lists. */
  private topLevelPlacement(sites: NonNullable<z.output<typeof topExtension>['sites']>, services: Record<string, unknown>): Map<string, [string, Path]> {
    const placed = new Map<string, [string, Path]>()
    for (const [site, s] of Object.entries(sites)) {
      for (const [i, key] of (s?.services ?? []).entries()) {
        const at = ['x-firedrill', 'sites', site, 'services', i]
        if (!(key in services)) this.error(at, `"${key}" is not a service of this file`)
        else if (placed.has(key)) this.error(at, `"${key}" is placed on two sites (${placed.get(key)![0]} and ${site})`)
        else placed.set(key, [site, at])
      }
    }
    return placed
  }

  private siteOf(key: string, svc: Record<string, unknown>, own: z.output<typeof serviceExtension> | undefined, placed: Map<string, [string, Path]>, at: Path): string | undefined {
    const candidates: [string | undefined, Path, string][] = [
      [this.opts.sites?.[key], [], `--site ${key}=`],
      [labels(svc.labels)[LABEL.site], [...at, 'labels'], `label ${LABEL.site}`],
      [own?.site, [...at, 'x-firedrill', 'site'], 'x-firedrill.site'],
      [placed.get(key)?.[0], placed.get(key)?.[1] ?? [], 'x-firedrill.sites'],
    ]
    const found = candidates.find(([v]) => v !== undefined)
    if (!found) {
      this.error(at.slice(0, -1), `no site for compose service "${key}": give --site ${key}=SITE, a label ${LABEL.site}: SITE, or x-firedrill: {site: SITE} on the service`, key)
      return undefined
    }
    const [site, where, from] = found
    if (!NAME_PATTERN.test(site!)) {
      if (from.startsWith('--site')) {
        this.issues.push({file: this.source.file, field: '--site', message: `--site ${key}=${site}: a site name must start with a lower-case letter and hold only a-z, 0-9 and "-" (at most 40 characters)`})
        return undefined
      }
      this.error(where, `site "${site}" (from ${from}) must start with a lower-case letter and hold only a-z, 0-9 and "-" (at most 40 characters)`)
      return undefined
    }
    return site
  }

  /** The topology service a compose service is one site of: x-firedrill.service, the io.firedrill.service label, or its name less a `-SITE` suffix. */
  private serviceOf(key: string, svc: Record<string, unknown>, own: z.output<typeof serviceExtension> | undefined, site: string, at: Path): string | undefined {
    const named = own?.service ?? labels(svc.labels)[LABEL.service]
    if (named !== undefined) {
      if (!NAME_PATTERN.test(named)) this.error([...at, 'labels'], `service name "${named}" must start with a lower-case letter and hold only a-z, 0-9 and "-"`)
      return named
    }
    let stem = key
    for (const sep of ['-', '_', '.']) {
      if (key.endsWith(`${sep}${site}`) && key.length > site.length + 1) stem = key.slice(0, -(site.length + 1))
    }
    const service = sanitize(stem)
    if (!NAME_PATTERN.test(service)) {
      this.error(at, `"${key}" cannot be a topology service name (a-z, 0-9 and "-", starting with a letter, at most 40): give it one with x-firedrill: {service: NAME}`)
      return undefined
    }
    if (service !== stem) this.warn(at, `compose service "${key}" becomes topology service "${service}" (topology names hold only a-z, 0-9 and "-"); its hostname stays "${key}"`)
    return service
  }

  // ---------------------------------------------------------------- one compose service

  private member(key: string, svc: Record<string, unknown>, at: Path, placed: Map<string, [string, Path]>, volumeDefs: Record<string, unknown>): Member | undefined {
    const own = this.extension(serviceExtension, svc['x-firedrill'], [...at, 'x-firedrill'])
    const site = this.siteOf(key, svc, own, placed, at)
    if (site === undefined) return undefined
    const service = this.serviceOf(key, svc, own, site, at)
    if (service === undefined) return undefined

    for (const k of Object.keys(svc)) {
      if (SERVICE_READ.has(k) || k.startsWith('x-')) continue
      if (k === 'depends_on') this.warn(at, dependsOnMessage(svc.depends_on), k)
      else this.warn(at, SERVICE_MESSAGES[k] ?? `${k} is not carried: a topology cannot express it`, k)
    }

    const named = own?.service !== undefined || labels(svc.labels)[LABEL.service] !== undefined
    const m: Member = {key, at, site, service, named, env: {}, hostname: key, ports: [], volumes: []}
    if (svc.image !== undefined) m.image = this.text(svc.image, [...at, 'image'])
    if (svc.build !== undefined) this.build(m, svc.build, [...at, 'build'])
    if (m.image === undefined && m.build === undefined) this.error(at, 'a service needs an image or a local build context')
    this.command(m, svc, at)
    if (svc.user !== undefined) m.user = String(svc.user)
    if (svc.hostname !== undefined) {
      m.hostname = this.text(svc.hostname, [...at, 'hostname']) ?? key
      // (a file firedrill exported names services SERVICE-SITE and gives each its hostname as an alias: nothing to say)
      if (m.hostname !== key && labels(svc.labels)[LABEL.service] === undefined) this.warn([...at, 'hostname'], `other containers reach this one as ${m.hostname} (a firedrill container is known by its hostname on its networks), where compose also answers to the service name ${key}`)
    }
    m.env = this.environment(svc.environment, [...at, 'environment'])
    if (svc.healthcheck !== undefined) m.health = this.health(svc.healthcheck, [...at, 'healthcheck'])
    m.ports = this.ports(svc.ports, [...at, 'ports'])
    m.volumes = this.volumes(m, svc, at, volumeDefs)
    if (svc.stop_grace_period !== undefined) {
      const ms = this.duration(svc.stop_grace_period, [...at, 'stop_grace_period'])
      // 10 s is the default of compose and of a topology alike
      if (ms !== undefined && ms !== 10_000) m.stopTimeout = formatDuration(ms)
    }
    if (svc.restart !== undefined && svc.restart !== 'no' && svc.restart !== false) {
      this.warn([...at, 'restart'], `restart: ${String(svc.restart)} is not carried: firedrill never lets the engine restart a container (a killed node stays down until the drill reverts the fault)`)
    }
    if (typeof svc.container_name === 'string') m.containerName = svc.container_name
    const otherLabels = Object.keys(labels(svc.labels)).filter((l) => ![LABEL.project, LABEL.site, LABEL.service, LABEL.role].includes(l as never))
    if (otherLabels.length > 0) this.warn([...at, 'labels'], `labels ${otherLabels.join(', ')} are not carried: firedrill labels its containers itself (io.firedrill.*)`)
    if (own?.description) m.description = own.description
    if (own?.cluster !== undefined) m.cluster = own.cluster
    return m
  }

  private text(value: unknown, at: Path): string | undefined {
    if (typeof value === 'string' || typeof value === 'number') return String(value)
    this.error(at, 'must be a string')
    return undefined
  }

  private build(m: Member, raw: unknown, at: Path): void {
    const spec = typeof raw === 'string' ? {context: raw} : isRecord(raw) ? raw : undefined
    if (!spec) {
      this.error(at, 'build must be a path or a mapping with context')
      return
    }
    for (const k of Object.keys(spec)) {
      if (!['context', 'dockerfile', 'args'].includes(k)) this.warn(at, `build.${k} is not carried: a topology builds with context, dockerfile and args only`, k)
    }
    const context = spec.context === undefined ? '.' : this.text(spec.context, [...at, 'context'])
    if (context === undefined) return
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(context) || context.startsWith('git@')) {
      this.warn([...at, 'context'], `the remote build context ${context} is not carried: a topology builds from a local directory${m.image ? `; the image ${m.image} is used as it is` : ''}`)
      return
    }
    const absolute = path.resolve(this.composeDir, context)
    const contextOut = this.opts.outDir ? path.relative(this.opts.outDir, absolute) || '.' : absolute
    const dockerfile = spec.dockerfile === undefined ? undefined : this.text(spec.dockerfile, [...at, 'dockerfile'])
    const args = spec.args === undefined ? {} : this.keyValues(spec.args, [...at, 'args'], 'build argument')
    m.build = {context: contextOut, ...(dockerfile && dockerfile !== 'Dockerfile' ? {dockerfile} : {}), ...(Object.keys(args).length > 0 ? {args} : {})}
  }

  private command(m: Member, svc: Record<string, unknown>, at: Path): void {
    const command = svc.command === undefined || svc.command === null ? undefined : this.argv(svc.command, [...at, 'command'])
    const entrypoint = svc.entrypoint === undefined || svc.entrypoint === null ? undefined : this.argv(svc.entrypoint, [...at, 'entrypoint'])
    if (entrypoint !== undefined) {
      if (entrypoint.length === 0) {
        this.warn([...at, 'entrypoint'], 'an empty entrypoint (clearing the image\'s) is not carried: a topology cannot change an image\'s ENTRYPOINT')
      } else {
        this.warn([...at, 'entrypoint'], `entrypoint is not a topology field: it is carried as the start of the command (${JSON.stringify([...entrypoint, ...(command ?? [])])}), which is the same only if the image has no ENTRYPOINT of its own`)
        m.command = [...entrypoint, ...(command ?? [])]
        return
      }
    }
    if (command === undefined) return
    if (command.length === 0) {
      this.warn([...at, 'command'], 'an empty command is not carried: the image\'s own CMD runs')
      return
    }
    m.command = command
  }

  /** A list as it is; a string split the way compose splits it (shell words: quotes and backslashes, no shell). */
  private argv(raw: unknown, at: Path): string[] | undefined {
    if (Array.isArray(raw)) {
      if (raw.every((a) => typeof a === 'string' || typeof a === 'number')) return raw.map(String)
      this.error(at, 'must be a string or a list of strings')
      return undefined
    }
    if (typeof raw !== 'string') {
      this.error(at, 'must be a string or a list of strings')
      return undefined
    }
    const operator = shellOperator(raw)
    if (operator !== undefined) {
      this.error(at, `"${raw}" needs a shell (it holds ${operator}), and Docker runs a command without one (compose would cut it at ${operator} or pass ${operator} on as an argument): write it as a list, e.g. [sh, -c, ${JSON.stringify(raw)}]`)
      return undefined
    }
    try {
      return shellSplit(raw)
    } catch (error) {
      this.error(at, `"${raw}" cannot be split into arguments: ${(error as Error).message}`)
      return undefined
    }
  }

  private keyValues(raw: unknown, at: Path, what: string): Record<string, string> {
    const out: Record<string, string> = {}
    const put = (k: string, v: unknown, where: Path) => {
      if (v === null || v === undefined) {
        const given = this.opts.env?.[k]
        if (given !== undefined) out[k] = given
        else this.warn(where, `${what} ${k} has no value here (compose would take it from your shell): not set; give it with --env ${k}=VALUE`)
        return
      }
      if (typeof v === 'object') {
        this.error(where, `${what} ${k} must be a string, a number or a boolean`)
        return
      }
      out[k] = String(v)
    }
    if (Array.isArray(raw)) {
      raw.forEach((item, i) => {
        const text = String(item)
        const eq = text.indexOf('=')
        put(eq < 0 ? text : text.slice(0, eq), eq < 0 ? null : text.slice(eq + 1), [...at, i])
      })
    } else if (isRecord(raw)) {
      for (const [k, v] of Object.entries(raw)) put(k, v, [...at, k])
    } else {
      this.error(at, 'must be a mapping or a list of NAME=VALUE')
    }
    return out
  }

  private environment(raw: unknown, at: Path): Record<string, string> {
    if (raw === undefined || raw === null) return {}
    const env = this.keyValues(raw, at, 'environment variable')
    for (const [k, v] of Object.entries(env)) {
      if (v.includes('${')) this.error([...at, k], `"${v}" holds "\${", which a topology reads as a firedrill variable (\${site}, \${service}, \${project}, \${hostname}); a topology cannot hold it literally`)
    }
    return env
  }

  private duration(raw: unknown, at: Path): number | undefined {
    const ms = typeof raw === 'string' || typeof raw === 'number' ? parseDuration(raw) : undefined
    if (ms === undefined) this.error(at, `"${String(raw)}" is not a duration firedrill can carry (such as 500ms, 30s, 1m30s, 2h)`)
    return ms
  }

  private health(raw: unknown, at: Path): HealthDocument | undefined {
    if (!isRecord(raw)) {
      this.error(at, 'healthcheck must be a mapping')
      return undefined
    }
    for (const k of Object.keys(raw)) {
      if (!['test', 'interval', 'timeout', 'retries', 'start_period', 'disable'].includes(k)) this.warn(at, `healthcheck.${k} is not carried`, k)
    }
    const disabled = raw.disable === true || (Array.isArray(raw.test) && raw.test[0] === 'NONE')
    if (disabled) {
      this.warn(at, 'a disabled health check is not carried: without one, firedrill uses the image\'s own HEALTHCHECK if it has one, else counts the container healthy once it runs')
      return undefined
    }
    let test: string[] | undefined
    if (typeof raw.test === 'string') test = ['/bin/sh', '-c', raw.test]
    else if (Array.isArray(raw.test) && raw.test.every((t) => typeof t === 'string')) {
      const [kind, ...rest] = raw.test as string[]
      if (kind === 'CMD' && rest.length > 0) test = rest
      else if (kind === 'CMD-SHELL' && rest.length === 1) test = ['/bin/sh', '-c', rest[0]!]
    }
    if (!test) {
      this.error([...at, 'test'], 'healthcheck.test must be a string, [CMD, arg...], [CMD-SHELL, command] or [NONE]')
      return undefined
    }
    const ms = (k: 'interval' | 'timeout' | 'start_period') => (raw[k] === undefined ? DOCKER_HEALTH_DEFAULTS[k] : this.duration(raw[k], [...at, k]))
    const retries = raw.retries === undefined ? DOCKER_HEALTH_DEFAULTS.retries : Number(raw.retries)
    if (!Number.isInteger(retries) || retries < 1) this.error([...at, 'retries'], 'retries must be a whole number of at least 1')
    const [interval, timeout, start] = [ms('interval'), ms('timeout'), ms('start_period')]
    if (interval === undefined || timeout === undefined || start === undefined) return undefined
    return {test, interval: formatDuration(interval), timeout: formatDuration(timeout), retries, ...(start > 0 ? {start_period: formatDuration(start)} : {})}
  }

  private ports(raw: unknown, at: Path): PortDocument[] {
    if (raw === undefined || raw === null) return []
    if (!Array.isArray(raw)) {
      this.error(at, 'ports must be a list')
      return []
    }
    const out: PortDocument[] = []
    let loopback = false
    raw.forEach((p, i) => {
      const where = [...at, i]
      let ip: string | undefined, host: string | undefined, container: string, protocol = 'tcp'
      if (isRecord(p)) {
        for (const k of Object.keys(p)) if (!['target', 'published', 'host_ip', 'protocol'].includes(k)) this.warn(where, `${k} of a port is not carried`, k)
        container = String(p.target ?? '')
        host = p.published === undefined || p.published === null ? undefined : String(p.published)
        ip = p.host_ip === undefined ? undefined : String(p.host_ip)
        protocol = p.protocol === undefined ? 'tcp' : String(p.protocol)
      } else {
        let text = String(p)
        const slash = text.lastIndexOf('/')
        if (slash >= 0) {
          protocol = text.slice(slash + 1)
          text = text.slice(0, slash)
        }
        const parts = text.split(':')
        container = parts.pop()!
        host = parts.length > 0 ? parts.pop() || undefined : undefined
        ip = parts.length > 0 ? parts.join(':').replace(/^\[|\]$/g, '') : undefined
      }
      if (protocol !== 'tcp' && protocol !== 'udp') {
        this.warn(where, `${protocol} ports are not carried: a topology publishes tcp and udp`)
        return
      }
      if (host === undefined) {
        this.warn(where, `port ${container} with no host port (the engine picks one) is not carried: a topology publishes fixed host ports`)
        return
      }
      const range = (s: string) => {
        const r = /^(\d+)(?:-(\d+))?$/.exec(s)
        return r ? Array.from({length: Number(r[2] ?? r[1]) - Number(r[1]) + 1}, (_, k) => Number(r[1]) + k) : undefined
      }
      const hosts = range(host)
      const containers = range(container)
      if (!hosts || !containers || hosts.length !== containers.length || containers.length === 0) {
        this.error(where, `"${isRecord(p) ? JSON.stringify(p) : String(p)}" is not a port mapping firedrill can read ([IP:]HOST:CONTAINER[/PROTOCOL], ranges of equal length)`)
        return
      }
      if (ip === undefined) loopback = true
      for (const [k, c] of containers.entries()) {
        out.push({container: c, host: hosts[k]!, ...(ip && ip !== '127.0.0.1' ? {host_ip: ip} : {}), ...(protocol === 'udp' ? {protocol: 'udp' as const} : {})})
      }
    })
    if (loopback) this.warn(at, 'ports without a host IP are published on 127.0.0.1 (firedrill\'s default), where compose would publish them on every interface: write 0.0.0.0:HOST:CONTAINER to open them')
    return out
  }

  private volumes(m: Member, svc: Record<string, unknown>, at: Path, defs: Record<string, unknown>): Member['volumes'] {
    const out: Member['volumes'] = []
    const add = (rawName: string, target: string, sizeBytes: number | undefined) => {
      let base = rawName
      const prefix = `fd-${sanitize(String(labels(svc.labels)[LABEL.project] ?? ''))}-${m.service}-${m.site}-`
      if (base.startsWith(prefix)) base = base.slice(prefix.length)
      else for (const sep of ['-', '_', '.']) if (base.endsWith(`${sep}${m.site}`) && base.length > m.site.length + 1) base = base.slice(0, -(m.site.length + 1))
      let volumeName = sanitize(base).replace(/^[^a-z]+/, '') || 'data'
      volumeName = volumeName.slice(0, 40).replace(/-+$/, '')
      for (let n = 2; out.some((v) => v.name === volumeName); n++) volumeName = `${volumeName.replace(/-\d+$/, '')}-${n}`
      out.push({name: volumeName, target, ...(sizeBytes === undefined ? {} : {size: sizeBytes})})
    }
    const list = svc.volumes
    if (list !== undefined && list !== null && !Array.isArray(list)) this.error([...at, 'volumes'], 'volumes must be a list')
    for (const [i, v] of (Array.isArray(list) ? list : []).entries()) {
      const where = [...at, 'volumes', i]
      let type: string, sourceName: string | undefined, target: string | undefined, readOnly = false, tmpfsSize: unknown
      if (isRecord(v)) {
        type = String(v.type ?? 'volume')
        sourceName = v.source === undefined ? undefined : String(v.source)
        target = v.target === undefined ? undefined : String(v.target)
        readOnly = v.read_only === true
        tmpfsSize = isRecord(v.tmpfs) ? v.tmpfs.size : undefined
        for (const k of Object.keys(v)) if (!['type', 'source', 'target', 'read_only', 'tmpfs'].includes(k)) this.warn(where, `volume ${k} is not carried`, k)
      } else {
        const parts = String(v).split(':')
        if (parts.length === 1) [target] = parts
        else [sourceName, target] = parts
        readOnly = parts[2]?.split(',').includes('ro') ?? false
        type = sourceName !== undefined && /^[./~]/.test(sourceName) ? 'bind' : 'volume'
      }
      if (!target?.startsWith('/')) {
        this.error(where, `"${isRecord(v) ? JSON.stringify(v) : String(v)}" has no absolute target path inside the container`)
        continue
      }
      if (readOnly && type !== 'bind') this.warn(where, `read-only mounting of ${target} is not carried: topology volumes are writable`)
      if (type === 'bind') {
        this.warn(where, `the bind mount ${sourceName}:${target} is not carried: firedrill containers mount no host paths; build the files into the image`)
        continue
      }
      if (type === 'tmpfs') {
        this.tmpfs(target, tmpfsSize, where, add)
        continue
      }
      if (type !== 'volume') {
        this.warn(where, `a ${type} mount is not carried`)
        continue
      }
      const def = sourceName === undefined ? undefined : defs[sourceName]
      let sizeBytes: number | undefined
      if (sourceName !== undefined) this.volumeUsers.set(sourceName, [...(this.volumeUsers.get(sourceName) ?? []), m.key])
      if (isRecord(def)) {
        const opts = isRecord(def.driver_opts) ? def.driver_opts : {}
        const sized = opts.type === 'tmpfs' ? /(?:^|,)size=([^,]+)/.exec(String(opts.o ?? ''))?.[1] : undefined
        if (sized !== undefined) sizeBytes = this.size(sized, ['volumes', sourceName!, 'driver_opts', 'o'])
        if (!this.volumesSeen.has(sourceName!)) {
          this.volumesSeen.add(sourceName!)
          const at = ['volumes', sourceName!]
          if (def.external) this.warn(at, `the external volume ${sourceName} is not used: firedrill creates a volume of its own per container`)
          else if ((def.driver !== undefined && def.driver !== 'local') || (Object.keys(opts).length > 0 && sized === undefined)) {
            this.warn(at, `the driver settings of volume ${sourceName} are not carried: a topology volume is a local volume, or a tmpfs of a given size`)
          }
          for (const [k, v] of Object.entries(def)) {
            if (['driver', 'driver_opts', 'external'].includes(k) || k.startsWith('x-')) continue
            if (k === 'name' && v === sourceName) continue
            if (k === 'labels' && Object.keys(labels(v)).every((l) => l.startsWith('io.firedrill.'))) continue
            this.warn(at, `${k} of volume ${sourceName} is not carried: firedrill names and labels the volumes it creates`, k)
          }
        }
      }
      add(sourceName ?? target.replace(/^\/+/, '').replaceAll('/', '-'), target, sizeBytes)
    }
    const tmpfs = svc.tmpfs
    for (const [i, t] of (tmpfs === undefined || tmpfs === null ? [] : Array.isArray(tmpfs) ? tmpfs : [tmpfs]).entries()) {
      const where = Array.isArray(tmpfs) ? [...at, 'tmpfs', i] : [...at, 'tmpfs']
      const [target, options = ''] = String(t).split(/:(.*)/s) as [string, string?]
      this.tmpfs(target, /(?:^|,)size=([^,]+)/.exec(options)?.[1], where, add)
    }
    return out
  }

  private tmpfs(target: string, sizeRaw: unknown, where: Path, add: (name: string, target: string, size: number | undefined) => void): void {
    if (sizeRaw === undefined) {
      this.warn(where, `the tmpfs at ${target} has no size and is not carried: a topology volume without a size is on disk; give it size= to make it a tmpfs of that size`)
      return
    }
    const bytes = this.size(sizeRaw, where)
    if (bytes !== undefined) add(`tmpfs-${target.replace(/^\/+/, '').replaceAll('/', '-')}`, target, bytes)
  }

  private size(raw: unknown, at: Path): number | undefined {
    const parsed = size().safeParse(typeof raw === 'number' ? raw : String(raw).replace(/^(\d+(?:\.\d+)?)([kmg])$/i, '$1$2ib'))
    if (parsed.success) return parsed.data
    this.error(at, `"${String(raw)}" is not a size firedrill can carry (such as 64m, 512MiB, 2GiB)`)
    return undefined
  }

  // ---------------------------------------------------------------- networks

  /** Top-level networks: a site's or the WAN's subnet is carried; what else they say is warned about. */
  private networks(raw: unknown, sites: string[], project: string): void {
    if (!isRecord(raw)) return
    for (const [key, def] of Object.entries(raw)) {
      const at = ['networks', key]
      const own = key === 'wan' || sites.includes(key)
      if (!own) {
        if (key !== 'default') this.warn(at, `network ${key} is not created: firedrill makes one network per site and a WAN joining them, and puts each container on its site's network and the WAN`)
        continue
      }
      if (!isRecord(def)) continue
      const extra: string[] = []
      for (const [k, v] of Object.entries(def)) {
        if (k === 'name' && v === `fd-${project}-${key}`) continue
        if (k === 'driver' && v === 'bridge') continue
        if (k === 'labels' && Object.keys(labels(v)).every((l) => l.startsWith('io.firedrill.'))) continue
        if (k === 'ipam' && isRecord(v) && Array.isArray(v.config) && v.config.length === 1 && isRecord(v.config[0]) && Object.keys(v.config[0]).join() === 'subnet' && Object.keys(v).join() === 'config') {
          const parsed = subnet().safeParse(v.config[0].subnet)
          if (parsed.success) this.networkSubnets.set(key, parsed.data)
          else this.error([...at, 'ipam', 'config', 0, 'subnet'], parsed.error.issues[0]!.message)
          continue
        }
        if (k.startsWith('x-')) continue
        extra.push(k)
      }
      if (extra.length > 0) this.warn(at, `network ${key}: ${extra.join(', ')} not carried (firedrill names and labels its networks itself; only a subnet is carried)`)
    }
  }

  /** A service's networks: its site's and the WAN are what firedrill gives every container anyway. */
  private memberNetworks(m: Member, svc: Record<string, unknown>, project: string): void {
    const raw = svc.networks
    if (m.containerName !== undefined && m.containerName !== `fd-${project}-${m.service}-${m.site}`) {
      this.warn([...m.at, 'container_name'], `container_name ${m.containerName} is not kept: firedrill names the container fd-${project}-${m.service}-${m.site}`)
    }
    if (raw === undefined || raw === null) return
    const entries: [string, unknown][] = Array.isArray(raw) ? raw.map((n) => [String(n), null]) : isRecord(raw) ? Object.entries(raw) : []
    for (const [net, settings] of entries) {
      const at = [...m.at, 'networks', ...(Array.isArray(raw) ? [] : [net])]
      if (net !== m.site && net !== 'wan' && net !== 'default') {
        this.warn(at, `network ${net} is not carried: the container is on its site's network (${m.site}) and the WAN only`)
        continue
      }
      if (!isRecord(settings)) continue
      for (const [k, v] of Object.entries(settings)) {
        if (k === 'aliases' && Array.isArray(v) && v.every((a) => a === m.hostname)) continue
        this.warn(at, `${k} on network ${net} is not carried: a container is known by its hostname (${m.hostname}) on its networks`, k)
      }
    }
  }

  // ---------------------------------------------------------------- folding

  /**
   * Services whose names were not given and differ only by a suffix (`web-primary`, `web-dr`; `ledger1`,
   * `ledger2`), on different sites, with the same image, build, command, user, health check, volumes,
   * stop period, cluster and environment variable names: one service on several sites, named by the
   * common stem. Said in a warning, with how to keep them apart.
   */
  private sameButSite(groups: Member[][]): Member[][] {
    const shape = (m: Member) => JSON.stringify([m.image, m.build, m.command, m.user, m.health, m.volumes, m.stopTimeout, m.cluster, Object.keys(m.env).sort()])
    const out: Member[][] = []
    for (const group of groups) {
      const first = group[0]!
      const into = first.named
        ? undefined
        : out.find((o) => {
            const stem = commonStem(o[0]!.service, first.service)
            return (
              !o[0]!.named &&
              stem !== undefined &&
              shape(o[0]!) === shape(first) &&
              !o.some((m) => group.some((g) => g.site === m.site)) &&
              !groups.some((other) => other !== group && !o.includes(other[0]!) && other[0]!.service === stem)
            )
          })
      if (!into) {
        out.push([...group])
        continue
      }
      const stem = commonStem(into[0]!.service, first.service)!
      this.warn(first.at, `"${into.map((m) => m.key).join('", "')}" and "${group.map((m) => m.key).join('", "')}" differ only by their site: folded into service "${stem}" (give them different x-firedrill.service names to keep them apart)`)
      into.push(...group)
      for (const m of into) m.service = stem
    }
    return out
  }

  /** One topology service from the compose services that are its sites. */
  private fold(group: Member[]): ServiceDocument | undefined {
    const [first] = group as [Member, ...Member[]]
    const seen = new Map<string, Member>()
    for (const m of group) {
      const other = seen.get(m.site)
      if (other) {
        this.error(m.at, `compose services "${other.key}" and "${m.key}" both become service "${m.service}" on site ${m.site}: tell them apart with x-firedrill: {service: NAME}`)
        return undefined
      }
      seen.set(m.site, m)
    }
    const same: (keyof Member)[] = ['image', 'build', 'user', 'health', 'volumes', 'stopTimeout', 'cluster']
    for (const m of group.slice(1)) {
      for (const field of same) {
        if (JSON.stringify(m[field]) !== JSON.stringify(first[field])) {
          this.error(m.at, `"${first.key}" and "${m.key}" fold into topology service "${m.service}" (one container per site), but their ${field === 'stopTimeout' ? 'stop_grace_period' : field} differs, and a topology service has one on every site: name them apart with x-firedrill: {service: NAME}`)
          return undefined
        }
      }
    }
    const sites = group.map((m) => m.site)
    const doc: ServiceDocument = {
      ...(group.find((m) => m.description)?.description ? {description: group.find((m) => m.description)!.description} : {}),
      sites,
      ...(first.image === undefined ? {} : {image: first.image}),
      ...(first.build ? {build: first.build} : {}),
    }
    const perSite: NonNullable<ServiceDocument['per_site']> = {}
    const override = (site: string) => (perSite[site] ??= {})

    // command: one for every site, one with ${site} in it, or the most common one with per-site exceptions
    const commands = group.map((m) => m.command)
    const commandTemplate = templateOf(group.map((m) => (m.command ? JSON.stringify(m.command) : undefined)), sites)
    if (commandTemplate !== undefined) doc.command = JSON.parse(commandTemplate) as string[]
    else if (commands.some((c) => c !== undefined)) {
      if (commands.some((c) => c === undefined)) {
        const bare = group.filter((m) => !m.command).map((m) => m.key)
        this.error(group.find((m) => !m.command)!.at, `"${bare.join('", "')}" give${bare.length === 1 ? 's' : ''} no command where other sites of service "${first.service}" do; a topology cannot leave the command out on one site: give each the command (the image's CMD) explicitly`)
        return undefined
      }
      const common = mostCommon(commands.map((c) => JSON.stringify(c)))
      doc.command = JSON.parse(common) as string[]
      for (const m of group) if (JSON.stringify(m.command) !== common) override(m.site).command = m.command
    }
    if (first.user !== undefined) doc.user = first.user

    // env: per variable, as for the command
    const env: Record<string, string> = {}
    for (const k of unique(group.flatMap((m) => Object.keys(m.env)))) {
      const values = group.map((m) => m.env[k])
      const template = templateOf(values, sites)
      if (template !== undefined) {
        env[k] = template
        continue
      }
      const present = values.filter((v): v is string => v !== undefined)
      const common = values.every((v) => v !== undefined) ? mostCommon(present) : undefined
      if (common !== undefined) env[k] = common
      for (const m of group) if (m.env[k] !== undefined && m.env[k] !== common) (override(m.site).env ??= {})[k] = m.env[k]
    }
    if (Object.keys(env).length > 0) doc.env = env

    // hostname: compose's DNS name for each container (its hostname, else its service key)
    const hostnames = group.map((m) => m.hostname)
    if (!hostnames.every((h, i) => h === `${first.service}-${sites[i]}`)) {
      const template = group.length === 1 ? hostnames[0] : templateOf(hostnames, sites)
      if (template !== undefined) doc.hostname = template
      else this.warn(first.at, `the hostnames ${hostnames.join(', ')} of service "${first.service}" differ by more than the site name, and a topology gives one hostname pattern: its containers are named ${sites.map((s) => `${first.service}-${s}`).join(', ')} instead`)
    }
    if (first.health) doc.health = first.health

    // ports: the most common list, the others per site (a per-site list replaces the service's)
    const portLists = group.map((m) => JSON.stringify(m.ports))
    const commonPorts = mostCommon(portLists)
    if (commonPorts !== '[]') doc.ports = JSON.parse(commonPorts) as PortDocument[]
    for (const m of group) if (JSON.stringify(m.ports) !== commonPorts) override(m.site).ports = m.ports

    if (first.volumes.length > 0) doc.volumes = first.volumes
    if (first.cluster !== undefined) doc.cluster = first.cluster
    if (Object.keys(perSite).length > 0) doc.per_site = perSite
    if (first.stopTimeout !== undefined) doc.stop_timeout = first.stopTimeout
    return doc
  }
}

/** The YAML text of an imported topology: a header saying where it came from and listing every warning. */
export function renderTopology(result: ImportResult, from: {file: string; sha256: string}): string {
  const header = [
    `# Topology imported by firedrill import compose from ${from.file} (sha256 ${from.sha256.slice(0, 12)}).`,
    ...(result.warnings.length === 0
      ? ['# Everything in the compose file was carried.']
      : ['# Not carried (a topology cannot express it):', ...result.warnings.map((w) => `#   line ${w.line ?? '?'}: ${w.field ? `${w.field}: ` : ''}${w.message}`.replaceAll('\n', ' '))]),
    '',
  ]
  const doc = new Document(result.topology)
  // lists of plain values on one line, as the shipped topologies write them: sites: [seoul, busan]
  visit(doc, {Seq: (_, node) => void (node.flow = node.items.every((item) => isScalar(item)))})
  return header.join('\n') + doc.toString({lineWidth: 0, flowCollectionPadding: false})
}

// ---------------------------------------------------------------- helpers

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function labels(raw: unknown): Record<string, string> {
  if (Array.isArray(raw)) {
    return Object.fromEntries(raw.map((l) => String(l)).map((l) => (l.includes('=') ? [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)] : [l, ''])))
  }
  return isRecord(raw) ? Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, String(v ?? '')])) : {}
}

/** Compose names allow upper case, `_` and `.`; topology names do not. */
function sanitize(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '')
}

function unique<T>(items: T[]): T[] {
  return [...new Set(items)]
}

function groupBy<T>(items: T[], key: (t: T) => string): T[][] {
  const groups = new Map<string, T[]>()
  for (const item of items) {
    const k = key(item)
    const group = groups.get(k)
    if (group) group.push(item)
    else groups.set(k, [item])
  }
  return [...groups.values()]
}

/** The most frequent value (the first of equals), so that per-site exceptions are as few as they can be. */
function mostCommon(values: string[]): string {
  const counts = new Map<string, number>()
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1)
  let best = values[0]!
  for (const v of values) if (counts.get(v)! > counts.get(best)!) best = v
  return best
}

/**
 * The one value every site has, or one that gives each site's value once `${site}` is replaced by the site's
 * name (`etcd-seoul`, `etcd-busan` → `etcd-${site}`); undefined when there is none.
 */
function templateOf(values: (string | undefined)[], sites: string[]): string | undefined {
  if (values.some((v) => v === undefined)) return undefined
  const defined = values as string[]
  if (defined.every((v) => v === defined[0])) return defined[0]
  if (!defined[0]!.includes(sites[0]!)) return undefined
  const template = defined[0]!.replaceAll(sites[0]!, '${site}')
  return defined.every((v, i) => template.replaceAll('${site}', sites[i]!) === v) ? template : undefined
}

/** `web` for `web-primary` and `web-dr`, `ledger` for `ledger1` and `ledger2`; none for `api` and `app`. */
function commonStem(a: string, b: string): string | undefined {
  if (a === b) return undefined
  let n = 0
  while (n < a.length && n < b.length && a[n] === b[n]) n++
  let stem = a.slice(0, n)
  // the stem must end where a word ends: before a "-", before digits, or at the end of a name
  while (stem.length > 0 && ![a, b].every((name) => /^(-.*|\d+|)$/.test(name.slice(stem.length)))) stem = stem.slice(0, -1)
  stem = stem.replace(/-+$/, '')
  return stem.length >= 2 && NAME_PATTERN.test(stem) ? stem : undefined
}

function matchingBrace(text: string, open: number): number {
  let depth = 0
  for (let i = open; i < text.length; i++) {
    if (text[i] === '{') depth++
    else if (text[i] === '}' && --depth === 0) return i
  }
  return -1
}

/**
 * The first character outside quotes that only a shell understands (`;`, `&`, `|`, `<`, `>`, `(`, `)`):
 * compose v2 cuts a command string there and compose v1 passes it on as an argument, so neither runs
 * what such a string says. Quoting follows POSIX: nothing is special inside '…', `\` escapes outside them.
 */
export function shellOperator(text: string): string | undefined {
  let quote: string | undefined
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!
    if (quote === "'") {
      if (c === "'") quote = undefined
    } else if (c === '\\') i++
    else if (quote === '"') {
      if (c === '"') quote = undefined
    } else if (c === '"' || c === "'") quote = c
    else if (';&|<>()'.includes(c)) return c
  }
  return undefined
}

function dependsOnMessage(raw: unknown): string {
  const conditions = isRecord(raw)
    ? Object.entries(raw).filter(([, v]) => isRecord(v) && v.condition !== undefined).map(([k, v]) => `${k}: ${String((v as Record<string, unknown>).condition)}`)
    : []
  return `depends_on${conditions.length > 0 ? ` (${conditions.join(', ')})` : ''} is not carried: firedrill starts every container at once and then waits until every health check passes and every cluster has its roles`
}
