import {z} from 'zod'

import {FREQUENCIES} from '../history/calendar.js'
import {argv, duration, name} from './common.js'

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

export const FAULT_KINDS = ['kill', 'stop', 'pause', 'restart', 'power-cut', 'isolate', 'process-kill'] as const
export type FaultKind = (typeof FAULT_KINDS)[number]
/** Faults that act on a whole site: their target names the site and nothing else. */
export const SITE_FAULTS: readonly FaultKind[] = ['power-cut', 'isolate']

const SIGNAL = /^SIG[A-Z0-9]+$/

export const sleepStep = z.strictObject({
  sleep: duration(),
})

export const faultStep = z
  .strictObject({
    fault: z.enum(FAULT_KINDS, {error: `unknown fault kind; known kinds: ${FAULT_KINDS.join(', ')}`}),
    /** Names the fault for a later `heal` step. Default: the fault kind and its step number. */
    name: name('fault name').optional(),
    target: targetSchema,
    /** kill and process-kill: the signal sent. */
    signal: z.string().regex(SIGNAL, {error: 'signal must be a name such as SIGKILL or SIGTERM'}).default('SIGKILL'),
    /** stop and restart: how long to wait for a graceful exit before SIGKILL. */
    timeout: duration().default(10_000),
    /** process-kill: the process name (exact); the oldest such process is killed. */
    process: z.string().regex(/^[A-Za-z0-9_.-]+$/, {error: 'process must be a plain process name'}).default('postgres'),
    /** Whether the fault is undone when the drill ends (kill: start again; isolate: reconnect; pause: thaw). */
    revert: z.boolean().default(true),
  })
  .superRefine((step, ctx) => {
    if (SITE_FAULTS.includes(step.fault) && (step.target.site === undefined || step.target.service !== undefined || step.target.role !== undefined)) {
      ctx.addIssue({code: 'custom', path: ['target'], message: `${step.fault} acts on a whole site: its target is {site: NAME} and nothing else`})
    }
  })

/** Where a runbook, assert or wait command runs: `host`, or the one container a selector picks when the step runs. */
export const placeSchema = z.union([z.literal('host'), targetSchema], {error: 'in must be "host" or a target such as {service: postgres, role: leader}'})
export type Place = z.output<typeof placeSchema>

const commandFields = {
  /** argv, never a shell string. */
  argv: argv('argv'),
  in: placeSchema,
  /** Inside a container: the user to run as (default: the image's). */
  user: z.string().optional(),
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
    user: z.string().optional(),
  })
  .superRefine((step, ctx) => {
    if (step.wait === 'role' && (!step.role || !step.site)) ctx.addIssue({code: 'custom', message: 'wait: role needs role and site'})
    if (step.wait === 'command' && (!step.argv || !step.in)) ctx.addIssue({code: 'custom', message: 'wait: command needs argv and in'})
  })

export const healStep = z.strictObject({
  /** Undo faults now, mid-drill: `all`, or the names of faults injected earlier. */
  heal: z.union([z.literal('all'), z.array(name('fault name')).min(1)], {error: 'heal must be "all" or a list of fault names'}),
})

export const runbookStep = z.strictObject({
  /** A runbook action, timed as its own phase: its title. */
  runbook: z.string().min(1),
  ...commandFields,
  expect_exit: z.int().default(0),
  /** The drill measures RTO and RPO from this step when no fault came before it (e.g. a planned switchover). */
  disruptive: z.boolean().default(false),
})

export const assertStep = z.strictObject({
  /** A check whose result must match; a mismatch fails the drill as an objective of its own. */
  assert: z.string().min(1),
  ...commandFields,
  expect: z
    .strictObject({
      exit: z.int().default(0),
      /** A regular expression the command's standard output must match. */
      stdout: z.string().optional(),
    })
    .default({exit: 0}),
})

/** The key that names a step's kind, and the schema for that kind. */
export const STEP_KINDS = {sleep: sleepStep, fault: faultStep, wait: waitStep, heal: healStep, runbook: runbookStep, assert: assertStep} as const
export type StepKind = keyof typeof STEP_KINDS
export const stepSchema = z.union([sleepStep, faultStep, waitStep, healStep, runbookStep, assertStep])
export type SleepStep = {kind: 'sleep'} & z.output<typeof sleepStep>
export type FaultStep = {kind: 'fault'} & z.output<typeof faultStep>
export type WaitStep = {kind: 'wait'} & z.output<typeof waitStep>
export type HealStep = {kind: 'heal'} & z.output<typeof healStep>
export type RunbookStep = {kind: 'runbook'} & z.output<typeof runbookStep>
export type AssertStep = {kind: 'assert'} & z.output<typeof assertStep>
export type Step = SleepStep | FaultStep | WaitStep | HealStep | RunbookStep | AssertStep

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
  .strictObject(
    {
      rto: duration().optional(),
      rpo: duration().optional(),
      /** false: no two nodes may acknowledge writes as primary in the same probe round. */
      split_brain: z.literal(false, {error: 'split_brain can only be false (no split brain allowed)'}).optional(),
    },
    {error: 'objectives are required, e.g. {rto: 30s, rpo: 0s}'},
  )
  .refine((o) => o.rto !== undefined || o.rpo !== undefined || o.split_brain !== undefined, {error: 'declare at least one objective (rto, rpo, split_brain)'})

export const drillSchema = z.strictObject({
  name: name('drill name'),
  description: z.string().optional(),
  /** The topology file, relative to this drill file. Default: the embedded bank-3site topology. */
  topology: z.string().optional(),
  /** How often the drill must be run (firedrill plan and the period report hold it to this). */
  frequency: z.enum(FREQUENCIES, {error: `frequency must be one of: ${FREQUENCIES.join(', ')}`}).optional(),
  objectives: objectivesSchema,
  probe: probeSchema,
  steps: z.array(z.record(z.string(), z.unknown(), {error: 'each step must be a mapping such as {sleep: 3s}'})).min(1, {error: 'a drill needs at least one step'}),
})

/** The published shape, with steps spelled out (the loader dispatches each step by its kind key). */
export const drillJsonSchemaSource = drillSchema.extend({steps: z.array(stepSchema).min(1)})
