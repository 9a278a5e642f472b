import path from 'node:path'

import {z} from 'zod'

import {ConfigError, type ConfigIssue} from '../errors.js'
import type {Topology} from '../model/topology.js'
import type {DrillProbe} from './load-drill.js'
import {loadTopology} from './load-topology.js'
import type {ProbeSpec} from './probe-kinds.js'
import {topologyProbesSchema, topologySchema} from './topology.js'
import {YamlSource} from './yaml-source.js'

/** A topology with its probe set and what its services depend on: what `firedrill sweep` reads. */
export interface ProbeSet {
  topology: Topology
  /** The probes every cell of a sweep runs, in the order written; measured, not graded (no objectives). */
  probes: DrillProbe[]
  /** The file the probes came from: the topology's own `probes:`, or `--probes FILE`. */
  probesFile: string
  /** For each service, the services it needs (`depends_on`); empty when the topology records none. */
  dependsOn: Record<string, string[]>
}

/**
 * Read a topology and its probe set: its own `probes:` section, or, with `probesFile`, that file's
 * top-level `probes:` (the same schema, checked against the same topology). Exit 2 with file, line and
 * field on any problem, before anything starts.
 */
export function loadProbeSet(topologyFile: string, probesFile?: string): ProbeSet {
  const topology = loadTopology(topologyFile)
  const spec = YamlSource.read(topology.file).check(topologySchema)
  const dependsOn = Object.fromEntries(Object.entries(spec.services).map(([name, s]) => [name, s.depends_on]))
  let probes: Record<string, ProbeSpec> | undefined = spec.probes
  let from = topology.file
  if (probesFile !== undefined) {
    from = path.resolve(probesFile)
    probes = readProbesFile(from, topology, spec.services)
  }
  if (!probes) {
    throw new ConfigError([
      {file: topology.file, field: 'probes', message: `topology ${topology.project} has no probe set: add a probes: section (named probes, as in a drill), or give --probes FILE`},
    ])
  }
  return {topology, probes: Object.entries(probes).map(([name, s]) => ({name, spec: s, objectives: {}})), probesFile: from, dependsOn}
}

/** A file holding only `probes:` for a topology: checked against that topology as its own section would be. */
function readProbesFile(file: string, topology: Topology, services: Record<string, {sites: string[]}>): Record<string, ProbeSpec> {
  const source = YamlSource.read(file)
  const probes = source.check(z_probesFile())
  const issues: ConfigIssue[] = []
  for (const [name, probe] of Object.entries(probes.probes)) {
    if (!services[probe.service]) issues.push(source.issue(['probes', name, 'service'], `service "${probe.service}" is not in topology ${topology.project} (services: ${Object.keys(services).join(', ')})`))
    for (const [field, value] of Object.entries(probe as unknown as Record<string, unknown>)) {
      const other = typeof value === 'object' && value !== null ? (value as {service?: unknown}).service : undefined
      if (typeof other === 'string' && !services[other]) issues.push(source.issue(['probes', name, field, 'service'], `service "${other}" is not in topology ${topology.project}`))
    }
    if (probe.kind === 'command') issues.push(source.issue(['probes', name, 'kind'], 'a command probe runs in one place a drill names; a probe set holds probes that reach a service'))
  }
  if (issues.length > 0) throw new ConfigError(issues)
  return probes.probes
}

/** A probes file: only `probes:`, the schema of a topology's own section. */
const z_probesFile = () => z.strictObject({probes: topologyProbesSchema()})
