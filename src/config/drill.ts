import {z} from 'zod'

import {duration, name} from './common.js'

export const CLUSTER_ROLES = ['leader', 'sync_standby', 'replica'] as const
export type ClusterRole = (typeof CLUSTER_ROLES)[number]

/** Which containers a step acts on; resolved when the step runs (role: leader is whoever leads then). */
export const targetSchema = z
  .strictObject({
    service: name('service name').optional(),
    site: name('site name').optional(),
    role: z.enum(CLUSTER_ROLES, {error: `role must be one of: ${CLUSTER_ROLES.join(', ')}`}).optional(),
  })
  .refine((t) => t.service !== undefined || t.site !== undefined, {error: 'a target names at least a service or a site'})
export type TargetSelector = z.output<typeof targetSchema>

export const FAULT_KINDS = ['kill'] as const
export type FaultKind = (typeof FAULT_KINDS)[number]

const SIGNAL = /^SIG[A-Z0-9]+$/

export const sleepStep = z.strictObject({
  sleep: duration(),
})

export const faultStep = z.strictObject({
  fault: z.enum(FAULT_KINDS, {error: `unknown fault kind; known kinds: ${FAULT_KINDS.join(', ')}`}),
  target: targetSchema,
  signal: z.string().regex(SIGNAL, {error: 'signal must be a name such as SIGKILL or SIGTERM'}).default('SIGKILL'),
  /** Whether the fault is undone when the drill ends (for kill: the container is started again). */
  revert: z.boolean().default(true),
})

export const WAIT_CONDITIONS = ['recovered', 'healthy'] as const
export const waitStep = z.strictObject({
  /** recovered: the probe has a stable run of successes after the last fault; healthy: the topology is ready again. */
  wait: z.enum(WAIT_CONDITIONS, {error: `wait must be one of: ${WAIT_CONDITIONS.join(', ')}`}),
  timeout: duration({positive: true}).default(60_000),
})

/** The key that names a step's kind, and the schema for that kind. */
export const STEP_KINDS = {sleep: sleepStep, fault: faultStep, wait: waitStep} as const
export type StepKind = keyof typeof STEP_KINDS
export const stepSchema = z.union([sleepStep, faultStep, waitStep])
export type Step =
  | ({kind: 'sleep'} & z.output<typeof sleepStep>)
  | ({kind: 'fault'} & z.output<typeof faultStep>)
  | ({kind: 'wait'} & z.output<typeof waitStep>)

export const VANTAGES = ['wan', 'site'] as const

export const probeSchema = z.strictObject({
  kind: z.literal('postgres-write', {error: 'probe kind must be "postgres-write"'}),
  /** The service whose instances the probe writes to; it finds the writable one itself. */
  service: name('service name'),
  port: z.int().min(1).max(65_535).default(5432),
  database: z.string().default('postgres'),
  user: z.string().default('postgres'),
  password: z.string().default(''),
  /** Time between the starts of two samples. */
  interval: duration({min: 10}).default(100),
  /** A sample with no answer after this long is indeterminate (if the write was sent) or failed. */
  timeout: duration({positive: true}).default(1000),
  /** RTO ends at the first of this many successive successful samples. */
  stable_samples: z.int().min(1).default(3),
  /**
   * Where the probe's client stands. `wan`: on the WAN network, as a client in another site would;
   * `site:<name>` is reserved for clients inside one site.
   */
  vantage: z.enum(VANTAGES).default('wan'),
})
export type ProbeSpec = z.output<typeof probeSchema>

export const objectivesSchema = z
  .strictObject({
    rto: duration().optional(),
    rpo: duration().optional(),
  })
  .refine((o) => o.rto !== undefined || o.rpo !== undefined, {error: 'declare at least one objective (rto, rpo)'})

export const drillSchema = z.strictObject({
  name: name('drill name'),
  description: z.string().optional(),
  /** The topology file, relative to this drill file. Default: the embedded bank-3site topology. */
  topology: z.string().optional(),
  objectives: objectivesSchema,
  probe: probeSchema,
  steps: z.array(z.record(z.string(), z.unknown(), {error: 'each step must be a mapping such as {sleep: 3s}'})).min(1, {error: 'a drill needs at least one step'}),
})

/** The published shape, with steps spelled out (the loader dispatches each step by its kind key). */
export const drillJsonSchemaSource = drillSchema.extend({steps: z.array(stepSchema).min(1)})
