import {existsSync} from 'node:fs'
import {homedir} from 'node:os'
import path from 'node:path'

import {ConfigError, type ConfigIssue} from '../errors.js'
import {containerName, copyProjectName, LOCAL_ENGINE, networkName, type EnginePlan, type ImagePlan, type Instance, type NetworkPlan, type Topology} from '../model/topology.js'
import {containerCapacity, overlaps, parseCidr} from '../util/cidr.js'
import {HOSTNAME_PATTERN} from './common.js'
import {topologySchema, type EngineSpec, type TopologyFile} from './topology.js'
import {YamlSource} from './yaml-source.js'

const VARIABLE = /\$\{([^}]*)\}/g

/**
 * `copy`: load it as copy number `slot` of itself (`run --parallel`): everything the project name
 * reaches (container, network and volume names, `${project}` in values) takes the copy's name
 * `copyProjectName(name, slot)`; images stay the topology's own, shared by every copy.
 */
export function loadTopology(file: string, opts: {copy?: number} = {}): Topology {
  const absolute = path.resolve(file)
  const source = YamlSource.read(absolute)
  const spec = source.check(topologySchema)
  const project = opts.copy === undefined ? spec.name : copyProjectName(spec.name, opts.copy)
  const issues: ConfigIssue[] = []
  const siteNames = new Set(Object.keys(spec.sites))
  const instances: Instance[] = []
  const images = new Map<string, ImagePlan>()
  const hostPorts = new Map<string, string>()

  for (const [serviceName, service] of Object.entries(spec.services)) {
    const at = ['services', serviceName]
    const seen = new Set<string>()
    service.sites.forEach((site, i) => {
      if (!siteNames.has(site)) {
        issues.push(source.issue([...at, 'sites', i], `site "${site}" is not declared under sites (declared: ${[...siteNames].join(', ')})`))
      }
      if (seen.has(site)) issues.push(source.issue([...at, 'sites', i], `site "${site}" is listed twice`))
      seen.add(site)
    })
    for (const site of Object.keys(service.per_site)) {
      if (!seen.has(site)) {
        issues.push(source.issue([...at, 'per_site', site], `per_site names "${site}", which is not one of this service's sites`, {key: site}))
      }
    }

    const image = service.image ?? `firedrill/${spec.name}-${serviceName}:latest`
    if (service.build) {
      const contextDir = path.resolve(path.dirname(absolute), service.build.context)
      const dockerfile = path.join(contextDir, service.build.dockerfile)
      if (!existsSync(dockerfile)) {
        issues.push(source.issue([...at, 'build', 'context'], `no ${service.build.dockerfile} in ${contextDir}`))
      }
      images.set(image, {ref: image, build: {contextDir, dockerfile: service.build.dockerfile, args: service.build.args}})
    } else if (!images.has(image)) {
      images.set(image, {ref: image})
    }

    for (const site of service.sites) {
      if (!siteNames.has(site)) continue
      const override = service.per_site[site]
      const vars: Record<string, string> = {project, service: serviceName, site}
      const expand = (value: string, where: (string | number)[]): string =>
        value.replaceAll(VARIABLE, (whole, key: string) => {
          const v = vars[key]
          if (v === undefined) {
            issues.push(source.issue(where, `unknown variable ${whole}; known: ${Object.keys(vars).map((k) => '${' + k + '}').join(', ')}`))
            return whole
          }
          return v
        })
      const hostname = expand(service.hostname, [...at, 'hostname'])
      // The engine gives the container this hostname (and its DNS alias): refused later, mid-`up`, when the kernel or DNS would not take it.
      if (!hostname.includes('${') && !HOSTNAME_PATTERN.test(hostname)) {
        issues.push(source.issue([...at, 'hostname'], `hostname "${hostname}" (on ${site}) is not a DNS name a container can have: labels of a-z, 0-9 and "-", not starting or ending with "-", at most 63 characters in all`))
      }
      vars.hostname = hostname
      const env: Record<string, string> = {}
      for (const [k, v] of Object.entries(service.env)) env[k] = expand(v, [...at, 'env', k])
      for (const [k, v] of Object.entries(override?.env ?? {})) env[k] = expand(v, [...at, 'per_site', site, 'env', k])
      const commandAt = override?.command ? [...at, 'per_site', site, 'command'] : [...at, 'command']
      const command = (override?.command ?? service.command)?.map((arg, i) => expand(arg, [...commandAt, i]))
      const ports = override?.ports ?? service.ports
      for (const [i, p] of ports.entries()) {
        const key = `${p.host_ip}:${p.host}/${p.protocol}`
        const other = hostPorts.get(key)
        const here = `${serviceName} on ${site}`
        if (other) issues.push(source.issue([...at, 'ports', i], `host port ${key} is published twice (${other} and ${here})`))
        hostPorts.set(key, here)
      }
      instances.push({
        service: serviceName,
        site,
        containerName: containerName(project, serviceName, site),
        hostname,
        image,
        command,
        user: service.user,
        env,
        health: service.health,
        ports,
        volumes: service.volumes.map((v) => ({volumeName: `fd-${project}-${serviceName}-${site}-${v.name}`, target: v.target, sizeBytes: v.size})),
        cluster: service.cluster,
        stopTimeoutMs: service.stop_timeout,
      })
    }
  }

  issues.push(...probeSetIssues(source, spec))

  const hostnames = new Map<string, string>()
  for (const inst of instances) {
    const other = hostnames.get(inst.hostname)
    if (other) issues.push(source.issue(['services', inst.service, 'hostname'], `hostname "${inst.hostname}" is used by ${other} and ${inst.service} on ${inst.site}`))
    hostnames.set(inst.hostname, `${inst.service} on ${inst.site}`)
  }

  const engines = enginePlans(source, spec, path.dirname(absolute), issues)
  const driver = engines.length > 1 ? 'overlay' : 'bridge'
  const encrypted = spec.wan?.encrypted ?? false
  if (encrypted && driver === 'bridge') {
    issues.push(source.issue(['wan', 'encrypted'], 'encrypted applies to overlay networks between hosts; every site of this topology is on one engine (give sites engines of their own, or remove it)'))
  }
  const networks: NetworkPlan[] = [
    ...Object.entries(spec.sites).map(([site, s]) => ({name: networkName(project, site), site, subnet: s.subnet, driver, encrypted} as const)),
    {name: networkName(project, undefined), subnet: spec.wan?.subnet, driver, encrypted},
  ]
  issues.push(...subnetIssues(source, networks, instances))

  if (issues.length > 0) throw new ConfigError(issues)

  const sites = Object.entries(spec.sites).map(([name, s]) => ({name, role: s.role, engine: s.engine ?? LOCAL_ENGINE}))
  return {
    file: absolute,
    sha256: source.sha256,
    project,
    ...(opts.copy === undefined ? {} : {copyOf: spec.name}),
    description: spec.description,
    sites,
    instances,
    networks,
    images: [...images.values()],
    upTimeoutMs: spec.up_timeout,
    engines,
  }
}

/** The engines the sites use, in the order first used; an engine no site uses, or a site's unknown engine, is an issue. */
function enginePlans(source: YamlSource, spec: TopologyFile, dir: string, issues: ConfigIssue[]): EnginePlan[] {
  const declared = spec.engines ?? {}
  const used: string[] = []
  for (const [site, s] of Object.entries(spec.sites)) {
    const engine = s.engine ?? LOCAL_ENGINE
    if (s.engine !== undefined && !(s.engine in declared) && s.engine !== LOCAL_ENGINE) {
      const known = Object.keys(declared)
      issues.push(source.issue(['sites', site, 'engine'], `engine "${s.engine}" is not declared under engines (${known.length > 0 ? `declared: ${known.join(', ')}` : 'none is declared'})`))
      continue
    }
    if (!used.includes(engine)) used.push(engine)
  }
  for (const name of Object.keys(declared)) {
    if (!used.includes(name)) issues.push(source.issue(['engines', name], `engine "${name}" is not used by any site (give a site engine: ${name}, or remove it)`))
  }
  return used.map((name) => {
    const e = declared[name]
    if (!e) return {name, endpoint: {kind: 'local'}, describe: 'local (DOCKER_HOST or the default socket)'}
    return enginePlan(source, name, e, dir, issues)
  })
}

function enginePlan(source: YamlSource, name: string, e: EngineSpec, dir: string, issues: ConfigIssue[]): EnginePlan {
  const at = ['engines', name]
  if (e.host === 'local') return {name, endpoint: {kind: 'local'}, describe: 'local (DOCKER_HOST or the default socket)'}
  const url = new URL(e.host)
  if (url.password) issues.push(source.issue([...at, 'host'], 'a password in the engine address would be a secret in the topology file: use an SSH key from the agent, or TLS client certificates'))
  if (url.protocol === 'unix:') {
    if (e.tls) issues.push(source.issue([...at, 'tls'], 'tls applies to tcp:// engines, not to a unix socket'))
    return {name, endpoint: {kind: 'unix', socketPath: url.pathname}, describe: e.host}
  }
  if (e.ssh && url.protocol !== 'ssh:') issues.push(source.issue([...at, 'ssh'], 'ssh applies to ssh:// engines only'))
  if (url.protocol === 'ssh:') {
    if (e.tls) issues.push(source.issue([...at, 'tls'], 'tls applies to tcp:// engines; ssh:// is authenticated by SSH (ssh.private_key, or keys from the SSH agent)'))
    if (e.insecure) issues.push(source.issue([...at, 'insecure'], 'insecure applies to plain tcp:// engines; ssh:// is always authenticated'))
    const port = url.port ? Number(url.port) : 22
    const username = url.username ? decodeURIComponent(url.username) : undefined
    let privateKey: string | undefined
    if (e.ssh?.private_key_env !== undefined) {
      privateKey = process.env[e.ssh.private_key_env] || undefined
      if (!privateKey) issues.push(source.issue([...at, 'ssh', 'private_key_env'], `environment variable ${e.ssh.private_key_env} is not set (it must name the SSH private key file)`))
    } else if (e.ssh?.private_key !== undefined) {
      privateKey = path.resolve(dir, e.ssh.private_key)
    }
    if (privateKey && !existsSync(privateKey)) issues.push(source.issue([...at, 'ssh', e.ssh?.private_key_env !== undefined ? 'private_key_env' : 'private_key'], `no such file: ${privateKey}`))
    const knownHosts = e.ssh?.known_hosts !== undefined ? path.resolve(dir, e.ssh.known_hosts) : path.join(homedir(), '.ssh', 'known_hosts')
    if (e.ssh?.known_hosts !== undefined && !existsSync(knownHosts)) issues.push(source.issue([...at, 'ssh', 'known_hosts'], `no such file: ${knownHosts}`))
    return {
      name,
      endpoint: {kind: 'ssh', host: url.hostname, port, username, ...(privateKey ? {privateKey} : {}), knownHosts},
      describe: `ssh://${username ? `${username}@` : ''}${url.hostname}:${port}`,
    }
  }
  if (!url.port) issues.push(source.issue([...at, 'host'], `engine host "${e.host}" needs a port (2376 for TLS)`))
  const port = Number(url.port || 2376)
  const describe = `tcp://${url.hostname}:${port}`
  if (!e.tls) {
    if (!e.insecure) {
      issues.push(source.issue([...at, 'host'], `${describe} without tls is an unauthenticated engine: anyone who reaches it owns the host. Give tls: {ca, cert, key} (or tls: {dir_env: VAR}), or insecure: true for a lab network`))
    }
    return {name, endpoint: {kind: 'tcp', host: url.hostname, port, insecure: true}, describe}
  }
  if (e.insecure) issues.push(source.issue([...at, 'insecure'], 'insecure and tls contradict each other: remove one'))
  let files: {ca: string; cert: string; key: string}
  if (e.tls.dir_env) {
    const dirFromEnv = process.env[e.tls.dir_env]
    if (!dirFromEnv) {
      issues.push(source.issue([...at, 'tls', 'dir_env'], `environment variable ${e.tls.dir_env} is not set (it must name a directory holding ca.pem, cert.pem and key.pem)`))
      return {name, endpoint: {kind: 'tcp', host: url.hostname, port, insecure: false}, describe}
    }
    files = {ca: path.join(dirFromEnv, 'ca.pem'), cert: path.join(dirFromEnv, 'cert.pem'), key: path.join(dirFromEnv, 'key.pem')}
  } else {
    files = {ca: path.resolve(dir, e.tls.ca!), cert: path.resolve(dir, e.tls.cert!), key: path.resolve(dir, e.tls.key!)}
  }
  for (const k of ['ca', 'cert', 'key'] as const) {
    if (!existsSync(files[k])) issues.push(source.issue([...at, 'tls', e.tls.dir_env ? 'dir_env' : k], `no such file: ${files[k]}`))
  }
  return {name, endpoint: {kind: 'tcp', host: url.hostname, port, tls: files, insecure: false}, describe}
}

/** Subnets the topology asks for must not overlap one another, and each must hold its network's containers. */
function subnetIssues(source: YamlSource, networks: NetworkPlan[], instances: Instance[]): ConfigIssue[] {
  const issues: ConfigIssue[] = []
  const asked: {field: (string | number)[]; text: string; what: string}[] = []
  for (const n of networks) {
    const network = n.subnet === undefined ? undefined : parseCidr(n.subnet)
    if (!network) continue
    const field = n.site ? ['sites', n.site, 'subnet'] : ['wan', 'subnet']
    const what = n.site ? `site ${n.site}'s network` : 'the WAN'
    const members = n.site ? instances.filter((i) => i.site === n.site).length : instances.length
    if (members > containerCapacity(network)) {
      issues.push(source.issue(field, `${n.subnet} has room for ${containerCapacity(network)} containers and ${what} holds ${members}: use a shorter prefix`))
    }
    for (const other of asked) {
      if (overlaps(network, parseCidr(other.text)!)) {
        issues.push(source.issue(field, `${n.subnet} overlaps ${other.text}, the subnet of ${other.what} (${other.field.join('.')}): networks of one topology need subnets of their own`))
      }
    }
    asked.push({field, text: n.subnet!, what})
  }
  return issues
}

/**
 * What the topology's `depends_on` and `probes:` name must exist: each dependency a service of the topology
 * (not the service itself), each probe's service (and any service a kind's own block names, such as a redis
 * probe's `sentinels: {service}`) a service, each site of an `order` a site with an instance of it.
 */
function probeSetIssues(source: YamlSource, spec: TopologyFile): ConfigIssue[] {
  const issues: ConfigIssue[] = []
  const services = Object.keys(spec.services)
  const list = services.join(', ')
  for (const [serviceName, service] of Object.entries(spec.services)) {
    service.depends_on.forEach((other, i) => {
      const at = ['services', serviceName, 'depends_on', i]
      if (other === serviceName) issues.push(source.issue(at, `service ${serviceName} cannot depend on itself`))
      else if (!spec.services[other]) issues.push(source.issue(at, `service "${other}" is not in this topology (services: ${list})`))
    })
  }
  for (const [probeName, probe] of Object.entries(spec.probes ?? {})) {
    const at = ['probes', probeName]
    const service = spec.services[probe.service]
    if (!service) {
      issues.push(source.issue([...at, 'service'], `service "${probe.service}" is not in this topology (services: ${list})`))
      continue
    }
    for (const [field, value] of Object.entries(probe as unknown as Record<string, unknown>)) {
      const other = typeof value === 'object' && value !== null ? (value as {service?: unknown}).service : undefined
      if (typeof other === 'string' && !spec.services[other]) issues.push(source.issue([...at, field, 'service'], `service "${other}" is not in this topology (services: ${list})`))
    }
    const {order} = probe as {order?: string[]}
    for (const [j, site] of (order ?? []).entries()) {
      if (!service.sites.includes(site)) issues.push(source.issue([...at, 'order', j], `no ${probe.service} instance on site "${site}"`))
    }
    if (probe.kind === 'command') issues.push(source.issue([...at, 'kind'], 'a command probe runs in one place a drill names; a topology\'s probe set holds probes that reach a service (http, tcp, the write kinds)'))
  }
  return issues
}
