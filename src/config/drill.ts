import {z} from 'zod'

import type {FaultSpec} from '../model/fault-spec.js'
import {CLUSTER_ROLES, DISRUPTIONS, type ClusterRole, type FaultKind} from '../model/vocabulary.js'
import {argv, containerUser, duration, exitStatus, name, noNul, regex} from './common.js'
import {faultStepSchema} from './fault-kinds.js'
import {probeSchema} from './probe-kinds.js'
import {targetSchema} from './target.js'

export {targetSchema, type TargetSelector} from './target.js'
export type {FaultSpec} from '../model/fault-spec.js'

export {CLUSTER_ROLES, DISRUPTIONS, FAULT_KINDS, type ClusterRole, type Disruption, type FaultKind} from '../model/vocabulary.js'


/** Faults that act on a whole site: their target names the site and nothing else. */
export const SITE_FAULTS: readonly FaultKind[] = ['power-cut', 'host-power-cut', 'isolate']
/** Faults that change a container's network from a helper container in its network namespace. */
export const NETWORK_FAULTS: readonly FaultKind[] = ['partition', 'degrade']
export const PARTITION_DIRECTIONS = ['both', 'one-way'] as const
/** degrade's peer: the WAN (everything beyond the target's own site), or one other site. */
export const WAN_PEER = 'wan'

export const sleepStep = z.strictObject({
  sleep: duration(),
})

/**
 * A fault step, validated against the fault kinds registered now (src/config/fault-kinds.ts): each kind
 * declares its schema in the module that implements it, and src/faults/schemas.ts registers them.
 */
export const faultStep = z.lazy(() => faultStepSchema())

/** Where a runbook, assert or wait command runs: `host`, or the one container a selector picks when the step runs. */
export const placeSchema = z.union([z.literal('host'), targetSchema], {error: 'in must be "host" or a target such as {service: postgres, role: leader}'})
export type Place = z.output<typeof placeSchema>

const commandFields = {
  /** argv, never a shell string. */
  argv: argv('argv'),
  in: placeSchema,
  /** Inside a container: the user to run as (default: the image's). */
  user: containerUser().optional(),
  timeout: duration({positive: true}).default(60_000),
}

export const WAIT_CONDITIONS = ['recovered', 'healthy', 'role', 'command'] as const
export const waitStep = z
  .strictObject({
    /**
     * recovered: the probe has a stable run of successes after the last fault; healthy: the topology is ready again;
     * role: a container of `site` holds `role`; command: `argv` exits 0.
     */
    wait: z.enum(WAIT_CONDITIONS, {error: `wait must be one of: ${WAIT_CONDITIONS.join(', ')}`}),
    timeout: duration({positive: true}).default(60_000),
    role: z.enum(CLUSTER_ROLES).optional(),
    site: name('site name').optional(),
    service: name('service name').optional(),
    argv: argv('argv').optional(),
    in: placeSchema.optional(),
    user: containerUser().optional(),
  })
  .superRefine((step, ctx) => {
    if (step.wait === 'role' && (!step.role || !step.site)) ctx.addIssue({code: 'custom', message: 'wait: role needs role and site'})
    if (step.wait === 'command' && (!step.argv || !step.in)) ctx.addIssue({code: 'custom', message: 'wait: command needs argv and in'})
  })
  // One member per condition, each carrying what it needs (so nothing downstream asserts).
  .transform((step, ctx): WaitSpec => {
    const {wait, role, site, argv, in: place} = step
    if (wait === 'recovered' || wait === 'healthy') return {...step, wait}
    if (wait === 'role' && role && site) return {...step, wait, role, site}
    if (wait === 'command' && argv && place) return {...step, wait, argv, in: place}
    ctx.addIssue({code: 'custom', message: `wait: ${wait} lacks what it needs`})
    return z.NEVER
  })
type WaitFields = {wait: (typeof WAIT_CONDITIONS)[number]; timeout: number; role?: ClusterRole; site?: string; service?: string; argv?: string[]; in?: Place; user?: string}
type WaitOf<W extends WaitFields['wait'], R> = Omit<WaitFields, 'wait' | keyof R> & {wait: W} & R
export type WaitSpec = WaitOf<'recovered' | 'healthy', object> | WaitOf<'role', {role: ClusterRole; site: string}> | WaitOf<'command', {argv: string[]; in: Place}>

export const healStep = z.strictObject({
  /** Undo faults now, mid-drill: `all`, or the names of faults injected earlier. */
  heal: z.union([z.literal('all'), z.array(name('fault name')).min(1)], {error: 'heal must be "all" or a list of fault names'}),
})

export const runbookStep = z.strictObject({
  /** A runbook action, timed as its own phase: its title. */
  runbook: z.string().min(1),
  ...commandFields,
  expect_exit: exitStatus('expect_exit').default(0),
  /** The drill measures RTO and RPO from this step when no fault came before it (e.g. a planned switchover). */
  disruptive: z.boolean().default(false),
})

export const assertStep = z.strictObject({
  /** A check whose result must match; a mismatch fails the drill as an objective of its own. */
  assert: z.string().min(1),
  ...commandFields,
  expect: z
    .strictObject({
      exit: exitStatus('expect.exit').default(0),
      /** A regular expression the command's standard output must match. */
      stdout: regex('expect.stdout').optional(),
    })
    .default({exit: 0}),
})

/** The command that stands in for the operator when nobody is at a terminal (--ci). */
export const manualCiSchema = z.strictObject({
  argv: argv('argv'),
  in: placeSchema,
  user: containerUser().optional(),
  timeout: duration({positive: true}).default(60_000),
  expect_exit: exitStatus('expect_exit').default(0),
})

export const manualStep = z.strictObject({
  /** What the operator is asked to do, in one line; the title of the step. */
  manual: z.string().min(1),
  /** The full instructions shown to the operator. */
  instructions: z.string().optional(),
  /** How long the operator has to confirm. */
  timeout: duration({positive: true}).default(30 * 60_000),
  /** The drill measures RTO and RPO from this step when no fault came before it. */
  disruptive: z.boolean().default(false),
  /** What to run instead when nobody is at a terminal; without it the drill cannot run with --ci. */
  ci: manualCiSchema.optional(),
})

/** The key that names a step's kind, and the schema for that kind. */
export const STEP_KINDS = {sleep: sleepStep, fault: faultStep, wait: waitStep, heal: healStep, runbook: runbookStep, assert: assertStep, manual: manualStep} as const
export type StepKind = keyof typeof STEP_KINDS
/** Every step kind's schema, the fault kinds as registered now (for the published JSON Schema). */
export const stepSchema = () => z.union([sleepStep, faultStepSchema(), waitStep, healStep, runbookStep, assertStep, manualStep])
export type SleepStep = {kind: 'sleep'} & z.output<typeof sleepStep>
export type FaultStep = {kind: 'fault'} & FaultSpec
export type WaitStep = {kind: 'wait'} & WaitSpec
export type HealStep = {kind: 'heal'} & z.output<typeof healStep>
export type RunbookStep = {kind: 'runbook'} & z.output<typeof runbookStep>
export type AssertStep = {kind: 'assert'} & z.output<typeof assertStep>
export type ManualStep = {kind: 'manual'} & z.output<typeof manualStep>
export type Step = SleepStep | FaultStep | WaitStep | HealStep | RunbookStep | AssertStep | ManualStep

export {VANTAGES, type ProbeSpec} from './probe-kinds.js'

const objectiveFields = {
  rto: duration().optional(),
  rpo: duration().optional(),
  /** false: no two nodes may acknowledge writes as primary in the same probe round. */
  split_brain: z.literal(false, {error: 'split_brain can only be false (no split brain allowed)'}).optional(),
}
const someObjective = (o: {rto?: number; rpo?: number; split_brain?: false}) => o.rto !== undefined || o.rpo !== undefined || o.split_brain !== undefined

export const objectivesSchema = z
  .strictObject(objectiveFields, {error: 'objectives must be a mapping, e.g. {rto: 30s, rpo: 0s}'})
  .refine(someObjective, {error: 'declare at least one objective (rto, rpo, split_brain)'})


export const FREQUENCIES = ['nightly', 'monthly', 'quarterly', 'semiannual', 'annual'] as const
export type Frequency = (typeof FREQUENCIES)[number]

/**
 * A resiliency policy: objectives by tier, after cloud resilience policies (a tier sets RTO and RPO,
 * and may tighten or loosen them per kind of disruption). Drills name a tier instead of numbers.
 */
export const policySchema = z.strictObject({
  name: name('policy name'),
  description: z.string().optional(),
  tiers: z.record(
    name('tier name'),
    z
      .strictObject({
        description: z.string().optional(),
        ...objectiveFields,
        /** Objectives for drills of one disruption, replacing the tier's own field by field. */
        disruptions: z.partialRecord(z.enum(DISRUPTIONS), z.strictObject(objectiveFields)).optional(),
      })
      .refine(someObjective, {error: 'a tier declares at least one objective (rto, rpo, split_brain)'}),
  ),
})
export type Policy = z.output<typeof policySchema>

/** Sample standbys' replication lag from the primary while the drill runs (replay_lag and WAL bytes from pg_stat_replication). */
export const replicationLagSchema = z.strictObject({
  /** The sites whose instances of the probe's service are watched. */
  sites: z.array(name('site name')).min(1, {error: 'name at least one site'}),
  interval: duration({min: 50}).default(500),
})

const drillObject = z.strictObject({
  name: name('drill name'),
  description: z.string().optional(),
  /** The topology file, relative to this drill file. Default: the embedded bank-3site topology. */
  topology: noNul('topology').pipe(z.string().min(1, {error: 'topology must name a file'})).optional(),
  /** Objectives written out; with `tier`, they replace the tier's field by field. */
  objectives: objectivesSchema.optional(),
  /** Take the objectives from this tier of the policy file. */
  tier: name('tier name').optional(),
  /** The policy file, relative to this drill file. Default: policy.yaml next to the drill. */
  policy: noNul('policy').pipe(z.string().min(1, {error: 'policy must name a file'})).optional(),
  /** What the drill disrupts; picks a tier's per-disruption objectives. */
  disruption: z.enum(DISRUPTIONS, {error: `disruption must be one of: ${DISRUPTIONS.join(', ')}`}).optional(),
  /** How often the drill is due (firedrill plan). */
  frequency: z.enum(FREQUENCIES, {error: `frequency must be one of: ${FREQUENCIES.join(', ')}`}).optional(),
  /**
   * How long the drill may run, from its start (the probe starting) to the end of its last step. When it
   * passes, the steps stop as on Ctrl-C, every fault is reverted and the run is aborted (exit 4, no figures).
   * Default: every step's own bound added up (sleeps, timeouts, a minute per fault or heal), plus 2 minutes.
   */
  deadline: duration({positive: true}).optional(),
  /** The one-probe shorthand: validated against the schema of the kind it names (drillSchema() puts in the probe kinds registered then). */
  probe: z.unknown().optional(),
  /** Several named probes on one clock, e.g. {api: {kind: http, ...}, ledger: {kind: postgres-write, ...}}; objectives are then per probe. */
  probes: z.unknown().optional(),
  replication_lag: replicationLagSchema.optional(),
  steps: z.array(z.record(z.string(), z.unknown(), {error: 'each step must be a mapping such as {sleep: 3s}'})).min(1, {error: 'a drill needs at least one step'}),
})

/**
 * The drill file's schema, its probes as the probe kinds registered now define them (src/probes/registry.ts).
 * `named`: the drill writes `probes:` (a map of named probes, objectives per probe) rather than `probe:`.
 */
export function drillSchema(named = false) {
  const probe = probeSchema()
  const shape = named
    ? {
        probe: z.undefined({error: 'write either probe: (one probe) or probes: (several, named), not both'}).optional(),
        probes: z
          .record(name('probe name'), probe, {error: 'probes must be a mapping of names to probes, e.g. {api: {kind: http, service: gateway, path: /health}}'})
          .refine((p) => Object.keys(p).length > 0, {error: 'name at least one probe'}),
        objectives: z.record(name('probe name'), objectivesSchema, {error: 'with probes:, objectives are per probe, e.g. {api: {rto: 60s}, ledger: {rto: 30s, rpo: 0s}}'}).optional(),
      }
    : {probe, probes: z.undefined().optional(), objectives: objectivesSchema.optional()}
  return drillObject.extend(shape).superRefine((d, ctx) => {
    if (d.objectives === undefined && d.tier === undefined) {
      const example = named ? '{api: {rto: 60s}, ledger: {rto: 30s, rpo: 0s}}' : '{rto: 30s, rpo: 0s}'
      ctx.addIssue({code: 'custom', path: ['objectives'], message: `objectives are required: write them, e.g. ${example}, or name a policy tier (tier: critical)`})
    }
    if (d.policy !== undefined && d.tier === undefined) ctx.addIssue({code: 'custom', path: ['policy'], message: 'policy is only read for a tier: add tier: NAME'})
  })
}

/** The published shape, with steps spelled out (the loader dispatches each step by its kind key); json-schema.ts puts in `probe:`. */
export const drillJsonSchemaSource = () => drillObject.extend({steps: z.array(stepSchema()).min(1)})
