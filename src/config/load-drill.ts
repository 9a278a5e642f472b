import path from 'node:path'

import {ConfigError, formatConfigIssue, type ConfigIssue} from '../errors.js'
import {DEFAULT_TOPOLOGY} from '../paths.js'
import type {Topology} from '../model/topology.js'
import {checkDeadline, defaultDeadlineMs, type Deadline} from './deadline.js'
import {drillSchema, STEP_KINDS, WAN_PEER, type Frequency, type ProbeSpec, type Step, type StepKind, type TargetSelector} from './drill.js'
import {DEFAULT_POLICY_FILE, loadPolicy, resolveObjectives, type LoadedPolicy, type WrittenObjectives} from './load-policy.js'
import {loadTopology} from './load-topology.js'
import {kindsThatCan, specCapabilities, type ProbeCapabilities} from './probe-kinds.js'
import {YamlSource} from './yaml-source.js'
import type {Objectives, ObjectivesSource} from '../model/objectives.js'
import type {Disruption} from '../model/vocabulary.js'

export interface Drill {
  file: string
  sha256: string
  name: string
  description?: string
  objectives: Objectives
  /** Set when the objectives come from a policy tier. */
  objectivesFrom?: ObjectivesSource
  disruption?: Disruption
  frequency?: Frequency
  /** How long the run may take up to the end of its last step; past it the run is aborted. */
  deadline: Deadline
  /**
   * Every probe, in the order written, each with its own objectives; they share one clock and one t_fault.
   * `probe:` (the one-probe shorthand) gives one probe named `probe` with the drill's objectives.
   */
  probes: DrillProbe[]
  /** Whether the drill wrote `probes:` (named probes, objectives per probe) rather than `probe:`. */
  named: boolean
  /** The first probe's spec and objectives (the only ones of a one-probe drill). */
  probe: ProbeSpec
  /** Standbys (by member name) whose replication lag is sampled, how often, and by which probe's kind. */
  replicationLag?: {probe: string; standbys: string[]; intervalMs: number}
  steps: Step[]
}

/** One probe of a drill: its name, its spec, what it is graded against. */
export interface DrillProbe {
  name: string
  spec: ProbeSpec
  /** Empty when the probe is only measured, not graded (another probe of the drill has objectives). */
  objectives: Objectives
}

/** The name the one-probe shorthand `probe:` gives its probe. */
export const SHORTHAND_PROBE = 'probe'

export interface LoadedDrill {
  drill: Drill
  topology: Topology
  /** Worth telling the user, not worth refusing the drill for. */
  warnings: string[]
}

export interface LoadOptions {
  /** Run against this topology file instead of the one the drill names. */
  topology?: string
  /** Nobody is at a terminal: every manual step must say what to run instead. */
  ci?: boolean
  /** Read tiers from this policy file instead of the drill's own (or policy.yaml next to it). */
  policy?: string
  /** `run --deadline`, in milliseconds: replaces the drill's own deadline. */
  deadline?: number
}

/**
 * Read a drill and the topology it runs against, and check them against each other.
 * Every problem found is reported at once, each with file, line and field.
 */
export function loadDrill(file: string, opts: LoadOptions = {}): LoadedDrill {
  const absolute = path.resolve(file)
  const source = YamlSource.read(absolute)
  let raw = source.value
  const named = typeof raw === 'object' && raw !== null && !Array.isArray(raw) && (raw as {probes?: unknown}).probes !== undefined
  // `probes: topology`: the topology's own probe set (its probes: section, checked when the topology loads), shared with firedrill sweep.
  const shared = sharedProbes(raw, absolute, opts, source)
  if (shared.probes) raw = {...(raw as object), probes: shared.probes}
  const schema = drillSchema(named)
  const parsed = schema.safeParse(raw)
  // A topology with no probe set: its own sentence at probes, instead of the schema's about a missing mapping.
  const issues: ConfigIssue[] = parsed.success ? [] : source.zodIssues(parsed.error.issues, schema).filter((i) => shared.issues.length === 0 || i.field !== 'probes')

  // Steps are checked one by one, each against the schema of its kind, even when other fields are wrong.
  const rawSteps = (source.value as {steps?: unknown}).steps
  const steps: Step[] = []
  ;(Array.isArray(rawSteps) ? rawSteps : []).forEach((raw: unknown, i) => {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return // reported by drillSchema
    const kinds = Object.keys(raw as object).filter((k): k is StepKind => k in STEP_KINDS)
    if (kinds.length !== 1) {
      const message =
        kinds.length === 0
          ? `unknown step; a step starts with one of: ${Object.keys(STEP_KINDS).join(', ')} (found: ${Object.keys(raw as object).join(', ') || 'nothing'})`
          : `a step has exactly one kind, this one has ${kinds.join(' and ')}`
      issues.push(source.issue(['steps', i], message))
      return
    }
    const kind = kinds[0]!
    const result = STEP_KINDS[kind].safeParse(raw)
    if (!result.success) {
      issues.push(...source.zodIssues(result.error.issues, STEP_KINDS[kind], ['steps', i]))
      return
    }
    steps.push({kind, ...result.data} as Step)
  })

  issues.push(...shared.issues)
  if (!parsed.success || shared.issues.length > 0) throw new ConfigError(issues)
  const spec = parsed.data
  const topologyFile = opts.topology ?? (spec.topology ? path.resolve(path.dirname(absolute), spec.topology) : DEFAULT_TOPOLOGY)
  let topology: Topology | undefined
  try {
    topology = loadTopology(topologyFile)
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error
    if (spec.topology && !opts.topology && error.issues.some((i) => i.message === 'file not found')) {
      issues.push(source.issue(['topology'], `topology file ${topologyFile} does not exist`))
    } else {
      issues.push(...error.issues)
    }
  }

  // Each probe's objectives: the one-probe shorthand's are the drill's; named probes have theirs under their name.
  const entries: [string, ProbeSpec][] = named ? Object.entries(spec.probes ?? {}) : [[SHORTHAND_PROBE, spec.probe as ProbeSpec]]
  const probeField = (probe: string): string[] => (named ? ['probes', probe] : ['probe'])
  const objectiveField = (probe: string): string[] => (named ? ['objectives', probe] : ['objectives'])
  const writtenFor = (probe: string) => (named ? (spec.objectives as Record<string, WrittenObjectives> | undefined)?.[probe] : (spec.objectives as WrittenObjectives | undefined))
  if (named) {
    for (const key of Object.keys((spec.objectives as Record<string, unknown> | undefined) ?? {})) {
      if (!entries.some(([n]) => n === key)) issues.push(source.issue(['objectives', key], `no probe named "${key}" (probes: ${entries.map(([n]) => n).join(', ')})`))
    }
  }
  let policy: LoadedPolicy | undefined
  if (spec.tier !== undefined) {
    const policyFile = opts.policy ?? path.resolve(path.dirname(absolute), spec.policy ?? DEFAULT_POLICY_FILE)
    try {
      policy = loadPolicy(policyFile)
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error
      const missing = error.issues.length === 1 && error.issues[0]!.message === 'file not found'
      issues.push(...(missing ? [source.issue([spec.policy ? 'policy' : 'tier'], `policy file ${policyFile} does not exist (tier ${spec.tier} is read from it)`)] : error.issues))
    }
  }
  const probes: DrillProbe[] = []
  let objectivesFrom: ObjectivesSource | undefined
  let resolvedAll = spec.tier === undefined || policy !== undefined
  for (const [probeName, probeSpec] of entries) {
    let resolved: ReturnType<typeof resolveObjectives> | undefined
    try {
      resolved = resolveObjectives(writtenFor(probeName), policy && spec.tier !== undefined ? {name: spec.tier, policy, disruption: spec.disruption} : undefined, (f, m) =>
        source.issue(f[0] === 'tier' ? f : [...objectiveField(probeName), ...f], m),
      )
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error
      for (const i of error.issues) if (!issues.some((j) => j.message === i.message && j.field === i.field)) issues.push(i)
      resolvedAll = false
      continue
    }
    objectivesFrom ??= resolved.source
    probes.push({name: probeName, spec: probeSpec, objectives: resolved.objectives})
    // What the objectives ask of the probe, its kind (as this probe is written) must be able to measure.
    const can = specCapabilities(probeSpec)
    if (!can) continue
    const written = writtenFor(probeName)
    const who = named ? `probe ${probeName} (kind ${probeSpec.kind})` : `probe kind ${probeSpec.kind}`
    const at = (field: string) => (written?.[field as keyof WrittenObjectives] !== undefined ? [...objectiveField(probeName), field] : [...probeField(probeName), 'kind'])
    const alternatives = (capability: keyof ProbeCapabilities) => `; kinds that can: ${kindsThatCan(capability).join(', ') || 'none registered'}`
    if (!can.rpo && resolved.objectives.rpoMs !== undefined) issues.push(source.issue(at('rpo'), `${who} cannot read its writes back, so it cannot measure rpo${alternatives('rpo')}`))
    if (!can.splitBrain && resolved.objectives.splitBrain === false) issues.push(source.issue(at('split_brain'), `${who} cannot watch for split brain${alternatives('splitBrain')}`))
  }
  if (named && resolvedAll && probes.length > 0 && !probes.some((p) => p.objectives.rtoMs !== undefined || p.objectives.rpoMs !== undefined || p.objectives.splitBrain !== undefined)) {
    issues.push(source.issue(['objectives'], `no probe has an objective: give at least one, e.g. {${probes[0]!.name}: {rto: 60s}}`))
  }

  steps.forEach((step, i) => {
    if (step.kind === 'manual' && opts.ci && step.ci === undefined) {
      issues.push(
        source.issue(['steps', i], `manual step "${step.manual}" has no ci action: with --ci nobody is there to confirm it; add ci: {argv: [...], in: ...} (what to run instead)`),
      )
    }
  })
  const warnings: string[] = []
  const deadline: Deadline =
    opts.deadline !== undefined ? {ms: opts.deadline, from: 'flag'} : spec.deadline !== undefined ? {ms: spec.deadline, from: 'drill'} : {ms: defaultDeadlineMs(steps), from: 'default'}
  const fit = checkDeadline(steps, deadline)
  if (fit.error) issues.push(deadline.from === 'drill' ? source.issue(['deadline'], fit.error) : {file: absolute, field: '', message: fit.error})
  for (const w of fit.warnings) warnings.push(formatConfigIssue(source.issue(['steps', w.index], w.message)))
  if (!steps.some((s) => s.kind === 'fault' || ((s.kind === 'runbook' || s.kind === 'manual') && s.disruptive))) {
    warnings.push(`${absolute}: drill ${spec.name} injects no fault and has no disruptive runbook or manual step, so it has nothing to measure RTO and RPO from`)
  }

  // replication_lag samples the standbys of the first probe that can (postgres-write), on its service.
  const lagProbe = probes.find((p) => specCapabilities(p.spec)?.replicationLag) ?? probes[0]
  if (spec.replication_lag && lagProbe && !specCapabilities(lagProbe.spec)?.replicationLag) {
    issues.push(source.issue(['replication_lag'], `probe kind ${lagProbe.spec.kind} cannot sample replication lag${named ? ` (no probe of this drill can; kinds that can: ${kindsThatCan('replicationLag').join(', ')})` : ''}`))
  }

  if (topology) {
    const services = new Set(topology.instances.map((i) => i.service))
    const sites = new Set(topology.sites.map((s) => s.name))
    for (const [probeName, probeSpec] of entries) {
      if (!services.has(probeSpec.service)) {
        issues.push(source.issue([...probeField(probeName), 'service'], `service "${probeSpec.service}" is not in topology ${topology.project} (services: ${[...services].join(', ')})`))
        continue
      }
      // Fields some kinds share: the failover order of sites, where a command runs.
      const {order, in: place} = probeSpec as {order?: string[]; in?: TargetSelector | 'host'}
      for (const [j, site] of (order ?? []).entries()) {
        if (!topology.instances.some((i) => i.site === site && i.service === probeSpec.service)) {
          issues.push(source.issue([...probeField(probeName), 'order', j], `no ${probeSpec.service} instance on site "${site}" in topology ${topology.project}`))
        }
      }
      if (place !== undefined && place !== 'host') issues.push(...checkPlace(place, [...probeField(probeName), 'in'], topology, services, sites, source))
      if (probeSpec.kind === 'command' && place === undefined && topology.instances.filter((i) => i.service === probeSpec.service).length > 1) {
        issues.push(source.issue([...probeField(probeName), 'in'], `service ${probeSpec.service} has several instances: say where the command runs (in: host, or a target such as {service: ${probeSpec.service}, role: leader})`))
      }
      // A kind's own blocks may name other services (a redis probe's `sentinels: {service}`): each must exist too.
      for (const [field, value] of Object.entries(probeSpec as unknown as Record<string, unknown>)) {
        const other = typeof value === 'object' && value !== null ? (value as {service?: unknown}).service : undefined
        if (typeof other === 'string' && !services.has(other)) {
          issues.push(source.issue([...probeField(probeName), field, 'service'], `service "${other}" is not in topology ${topology.project} (services: ${[...services].join(', ')})`))
        }
      }
    }
    for (const [j, site] of (spec.replication_lag?.sites ?? []).entries()) {
      if (lagProbe && !topology.instances.some((i) => i.site === site && i.service === lagProbe.spec.service)) {
        issues.push(source.issue(['replication_lag', 'sites', j], `no ${lagProbe.spec.service} instance on site "${site}" in topology ${topology.project}`))
      }
    }
    const faultNames = new Set<string>()
    /** Faults with revert: false: left as they are on purpose, so a heal step has nothing to undo. */
    const leftNames = new Set<string>()
    steps.forEach((step, i) => {
      const at = ['steps', i]
      if (step.kind === 'fault') {
        if (step.target) issues.push(...checkTarget(step.target, [...at, 'target'], topology, services, sites, source))
        for (const [g, group] of (step.groups ?? []).entries()) {
          for (const [k, site] of group.entries()) {
            if (!sites.has(site)) issues.push(source.issue([...at, 'groups', g, k], `site "${site}" is not in topology ${topology.project} (sites: ${[...sites].join(', ')})`))
          }
        }
        if (step.peer !== undefined && step.peer !== WAN_PEER && !sites.has(step.peer)) {
          issues.push(source.issue([...at, 'peer'], `peer "${step.peer}" is neither wan nor a site of topology ${topology.project} (sites: ${[...sites].join(', ')})`))
        }
        faultNames.add(step.name ?? `${step.fault}-${i + 1}`)
        if (!step.revert) leftNames.add(step.name ?? `${step.fault}-${i + 1}`)
      }
      if ((step.kind === 'runbook' || step.kind === 'assert' || step.kind === 'wait') && step.in !== undefined && step.in !== 'host') {
        issues.push(...checkPlace(step.in, [...at, 'in'], topology, services, sites, source))
      }
      if (step.kind === 'manual' && step.ci !== undefined && step.ci.in !== 'host') {
        issues.push(...checkPlace(step.ci.in, [...at, 'ci', 'in'], topology, services, sites, source))
      }
      if (step.kind === 'fault' && step.fault === 'disk-full') {
        const {target, path: dir} = step
        const targeted = placedOn(target, topology)
        const bare = targeted.filter((inst) => !inst.volumes.some((v) => v.sizeBytes !== undefined && isUnder(dir, v.target)))
        if (targeted.length > 0 && bare.length > 0) {
          issues.push(
            source.issue(
              [...at, 'path'],
              `${step.path} is not on a size-limited volume of ${[...new Set(bare.map((b) => b.service))].join(', ')}: disk-full only fills volumes declared with a size (volumes: [{name, target, size: 256MiB}]), never a host disk`,
            ),
          )
        }
      }
      if (step.kind === 'wait' && step.site !== undefined && !sites.has(step.site)) {
        issues.push(source.issue([...at, 'site'], `site "${step.site}" is not in topology ${topology.project} (sites: ${[...sites].join(', ')})`))
      }
      if (step.kind === 'heal' && step.heal !== 'all') {
        for (const [j, n] of step.heal.entries()) {
          if (!faultNames.has(n)) issues.push(source.issue([...at, 'heal', j], `no fault named "${n}" comes before this step (named so far: ${[...faultNames].join(', ') || 'none'})`))
          else if (leftNames.has(n)) issues.push(source.issue([...at, 'heal', j], `fault "${n}" has revert: false (left as it is on purpose), so there is nothing to heal`))
        }
      }
    })
  }

  if (issues.length > 0) throw new ConfigError(issues)
  return {
    drill: {
      file: absolute,
      sha256: source.sha256,
      name: spec.name,
      description: spec.description,
      objectives: probes[0]!.objectives,
      objectivesFrom,
      disruption: spec.disruption,
      frequency: spec.frequency,
      deadline,
      probes,
      named,
      probe: probes[0]!.spec,
      replicationLag: spec.replication_lag
        ? {
            probe: lagProbe!.name,
            standbys: topology!.instances.filter((i) => i.service === lagProbe!.spec.service && spec.replication_lag!.sites.includes(i.site)).map((i) => i.hostname),
            intervalMs: spec.replication_lag.interval,
          }
        : undefined,
      steps,
    },
    topology: topology!,
    warnings,
  }
}

function isUnder(file: string, dir: string): boolean {
  const rel = path.posix.relative(dir, file)
  return rel === '' || (!rel.startsWith('..') && !path.posix.isAbsolute(rel))
}

/** The instances a target's service and site pick (its role is only known when the step runs). */
function placedOn(target: TargetSelector, topology: Topology) {
  return topology.instances.filter((i) => (!target.service || i.service === target.service) && (!target.site || i.site === target.site))
}

/** Where a command runs: a target that must pick exactly one container (a role picks one when the step runs). */
function checkPlace(
  target: TargetSelector,
  at: (string | number)[],
  topology: Topology,
  services: Set<string>,
  sites: Set<string>,
  source: YamlSource,
): ConfigIssue[] {
  const issues = checkTarget(target, at, topology, services, sites, source)
  if (issues.length > 0 || target.role) return issues
  const picked = placedOn(target, topology)
  if (picked.length > 1) {
    issues.push(
      source.issue(at, `picks ${picked.length} containers (${picked.map((i) => i.containerName).join(', ')}); a command runs in exactly one: add a site, a service or a role`),
    )
  }
  return issues
}

function checkTarget(
  target: TargetSelector,
  at: (string | number)[],
  topology: Topology,
  services: Set<string>,
  sites: Set<string>,
  source: YamlSource,
): ConfigIssue[] {
  const issues: ConfigIssue[] = []
  if (target.service && !services.has(target.service)) {
    issues.push(source.issue([...at, 'service'], `service "${target.service}" is not in topology ${topology.project} (services: ${[...services].join(', ')})`))
  }
  if (target.site && !sites.has(target.site)) {
    issues.push(source.issue([...at, 'site'], `site "${target.site}" is not in topology ${topology.project} (sites: ${[...sites].join(', ')})`))
  }
  if (target.role) {
    const managed = topology.instances.filter((i) => i.cluster && (!target.service || i.service === target.service))
    if (managed.length === 0) {
      issues.push(source.issue([...at, 'role'], `a role can only select instances of a service with a cluster manager (cluster: {manager: patroni | command | http})`))
    }
  }
  if (issues.length === 0 && placedOn(target, topology).length === 0) {
    issues.push(source.issue(at, `no container of topology ${topology.project} matches this target`))
  }
  return issues
}

/** The value a drill writes to take the probe set of its topology: `probes: topology`. */
export const TOPOLOGY_PROBES = 'topology'

/**
 * `probes: topology` in a drill: the probes of the topology it runs against (its `probes:` section), as
 * raw values the drill's schema then checks like its own. A topology without a probe set is refused at
 * the drill's `probes` line; a topology that does not load is reported when the drill loads it.
 */
function sharedProbes(raw: unknown, drillFile: string, opts: LoadOptions, source: YamlSource): {probes?: unknown; issues: ConfigIssue[]} {
  if (typeof raw !== 'object' || raw === null || (raw as {probes?: unknown}).probes !== TOPOLOGY_PROBES) return {issues: []}
  const written = (raw as {topology?: unknown}).topology
  const file = opts.topology ?? (typeof written === 'string' ? path.resolve(path.dirname(drillFile), written) : DEFAULT_TOPOLOGY)
  let probes: unknown
  try {
    probes = (YamlSource.read(file).value as {probes?: unknown} | null | undefined)?.probes
  } catch {
    return {issues: []} // the topology itself is reported when the drill loads it
  }
  if (probes === undefined) return {issues: [source.issue(['probes'], `probes: topology takes the topology's probe set, and ${file} has none (add a probes: section to it, or name the probes here)`)]}
  return {probes, issues: []}
}
