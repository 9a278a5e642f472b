import {YamlSource} from '../config/yaml-source.js'
import {ConfigError, EnvironmentError, type ConfigIssue} from '../errors.js'
import type {Topology} from '../model/topology.js'
import {containerCapacity, networkAddress, overlaps, parseCidr} from '../util/cidr.js'

/** The 10.X.0.0/16 blocks copies' subnets come from (X from FIRST_BLOCK up), as bench/scale.js does. */
const FIRST_BLOCK = 200
const LAST_BLOCK = 254
/** Inside a block: site i (0-based) on 10.X.(i+1).0/24, the WAN on 10.X.240.0/20. */
const WAN_OFFSET = 240

/**
 * Where a copy's networks lie. A topology that lets the engine pick its subnets gets copies that do the
 * same. One that gives subnets cannot lend them to a copy (they would overlap the original's, and each
 * other's): each copy takes the first 10.X.0.0/16 (X from 200) that no network on the engine overlaps
 * (`engineSubnets`, read just before the copy is created), site i on 10.X.(i+1).0/24 and the WAN on
 * 10.X.240.0/20; a network that had none keeps none.
 */
export function withCopySubnets(copy: Topology, engineSubnets: readonly string[]): Topology {
  if (!copy.networks.some((n) => n.subnet !== undefined)) return copy
  const used = engineSubnets.map((s) => parseCidr(s)).filter((n) => n !== undefined)
  let block: number | undefined
  for (let x = FIRST_BLOCK; x <= LAST_BLOCK && block === undefined; x++) {
    const range = parseCidr(`10.${x}.0.0/16`)!
    if (!used.some((u) => overlaps(u, range))) block = x
  }
  if (block === undefined) {
    throw new EnvironmentError(`no 10.X.0.0/16 (X = ${FIRST_BLOCK}..${LAST_BLOCK}) is free of networks on this engine for the subnets of copy ${copy.project}`, [
      'remove networks that are no longer needed (docker network ls; docker network prune), or run with fewer --parallel copies',
    ])
  }
  const siteIndex = new Map(copy.sites.map((s, i) => [s.name, i]))
  return {
    ...copy,
    networks: copy.networks.map((n) => {
      if (n.subnet === undefined) return n
      const subnet = n.site === undefined ? `10.${block}.${WAN_OFFSET}.0/20` : `10.${block}.${siteIndex.get(n.site)! + 1}.0/24`
      const members = copy.instances.filter((i) => n.site === undefined || i.site === n.site).length
      if (members > containerCapacity(parseCidr(subnet)!)) {
        throw new EnvironmentError(`copy ${copy.project}: network ${n.name} holds ${members} containers, more than its copy's subnet ${subnet} has room for`, ['run this topology without --parallel'])
      }
      return {...n, subnet: networkAddress(parseCidr(subnet)!)}
    }),
  }
}

/**
 * What stops a topology from being copied side by side with itself, as a ConfigError at the topology
 * file's lines: a host port it publishes would be asked for by every copy.
 */
export function copyProblems(topology: Topology): ConfigError | undefined {
  if (topology.engines.length > 1) {
    // A copy's overlays, subnets and relay across several engines are not made: such a topology is drilled one run at a time.
    const source = YamlSource.read(topology.file)
    return new ConfigError([source.issue(['engines'], `the sites run on ${topology.engines.length} engines; run --parallel makes copies of topologies on one engine only: run its drills without --parallel`)])
  }
  const publishing = topology.instances.filter((i) => i.ports.length > 0)
  if (publishing.length === 0) return undefined
  const source = YamlSource.read(topology.file)
  const services = (source.value as {services?: Record<string, {per_site?: Record<string, {ports?: unknown}>}>}).services ?? {}
  const issues = new Map<string, ConfigIssue>()
  for (const i of publishing) {
    const own = services[i.service]?.per_site?.[i.site]?.ports !== undefined
    const at = own ? ['services', i.service, 'per_site', i.site, 'ports'] : ['services', i.service, 'ports']
    const ports = i.ports.map((p) => `${p.host_ip}:${p.host}/${p.protocol}`).join(', ')
    const issue = source.issue(at, `publishes host port(s) ${ports}, which every copy --parallel makes would ask for: run it without --parallel, or without published ports`)
    issues.set(issue.field, issues.get(issue.field) ?? issue)
  }
  return new ConfigError([...issues.values()])
}
