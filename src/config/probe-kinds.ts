import {z} from 'zod'

import {duration, name} from './common.js'

/**
 * The `probe:` block of a drill. Every probe kind has fields of its own (where to connect, how to
 * write), and shares one block of run properties: which service, how often, how patient, where its
 * client stands. Kinds are not listed here: each registers its schema (src/probes/registry.ts), and
 * the drill's `probe:` is validated against the one its `kind:` names.
 */
export const VANTAGES = ['wan', 'site'] as const

/** How a probe samples, shared by every kind: interval, timeout, the run of successes that ends RTO, where it stands. */
export const probeSamplingFields = {
  /** Time between the starts of two samples. */
  interval: duration({min: 10}).default(100),
  /** A sample with no answer after this long is indeterminate (if the request was sent) or failed. */
  timeout: duration({positive: true}).default(1000),
  /** RTO ends at the first of this many successive successful samples. */
  stable_samples: z.int().min(1).default(3),
  /**
   * Where the probe's client stands. `wan`: on the WAN network, as a client in another site would;
   * `site:<name>` is reserved for clients inside one site.
   */
  vantage: z.enum(VANTAGES).default('wan'),
}

/** The run properties every probe kind shares; a kind's schema is `z.strictObject({kind: z.literal(K), ...probeRunFields, ...its own})`. */
export const probeRunFields = {
  /** The service whose instances the probe reaches; it finds the one that serves itself. */
  service: name('service name'),
  ...probeSamplingFields,
}

/** What a drill's probe block is, whatever its kind: the kind's name and the shared run properties (each kind adds its own fields). */
export interface ProbeSpec {
  kind: string
  service: string
  interval: number
  timeout: number
  stable_samples: number
  vantage: (typeof VANTAGES)[number]
}

/** What a probe kind can measure besides RTO and impact (which every kind measures from its samples). */
export interface ProbeCapabilities {
  /** Lost writes and RPO: its writes can be read back after the drill. */
  rpo: boolean
  /** split_brain: false: it can watch for two nodes acknowledging writes at once. */
  splitBrain: boolean
  /** replication_lag: it can sample standbys' replication lag. */
  replicationLag: boolean
}

export type ProbeKindSchema = z.ZodObject<{kind: z.ZodLiteral<string>} & z.ZodRawShape>

/**
 * What one probe as written measures, when that depends on its fields (an `http` probe reads its writes
 * back only with `write` and `read`); `when` says, for a refusal, what the spec would need.
 */
export interface ProbeMeasures {
  measures(spec: ProbeSpec): ProbeCapabilities
  /** How a probe of this kind gets a capability it lacks, e.g. `with write and read`; shown in the list of kinds that can. */
  when?: Partial<Record<keyof ProbeCapabilities, string>>
}

const kinds = new Map<string, {schema: ProbeKindSchema; capabilities: ProbeCapabilities; measures?: ProbeMeasures}>()

/**
 * Called by src/probes/registry.ts for each probe kind; returns how to remove it again (a test's own kind).
 * `capabilities` is the most the kind can measure; `measures`, when given, narrows it for one spec.
 */
export function registerProbeSchema(kind: string, schema: ProbeKindSchema, capabilities: ProbeCapabilities, measures?: ProbeMeasures): () => void {
  kinds.set(kind, {schema, capabilities, measures})
  return () => kinds.delete(kind)
}

/** The most a kind can measure; undefined for a kind not registered. */
export function probeCapabilities(kind: string): ProbeCapabilities | undefined {
  return kinds.get(kind)?.capabilities
}

/** What this probe, as written, measures (its kind's capabilities, narrowed by its fields). */
export function specCapabilities(spec: ProbeSpec): ProbeCapabilities | undefined {
  const k = kinds.get(spec.kind)
  if (!k) return undefined
  return k.measures ? k.measures.measures(spec) : k.capabilities
}

/** The registered kinds that can measure a capability, each with what it needs for it (`http (with write and read)`). */
export function kindsThatCan(capability: keyof ProbeCapabilities): string[] {
  return [...kinds.entries()].filter(([, k]) => k.capabilities[capability]).map(([name, k]) => (k.measures?.when?.[capability] ? `${name} (${k.measures.when[capability]})` : name))
}

/** The schema of `probe:`: the one kind's own while there is one (its messages as written), else a union discriminated on `kind`. */
export function probeSchema(): z.ZodType<ProbeSpec> {
  const schemas = [...kinds.values()].map((k) => k.schema)
  if (schemas.length === 0) throw new Error('no probe kind is registered: import src/probes/registry.js before loading drills')
  if (schemas.length === 1) return schemas[0] as unknown as z.ZodType<ProbeSpec>
  const names = [...kinds.keys()].map((k) => `"${k}"`).join(', ')
  return z.discriminatedUnion('kind', schemas as unknown as [ProbeKindSchema, ...ProbeKindSchema[]], {error: `probe kind must be one of: ${names}`}) as unknown as z.ZodType<ProbeSpec>
}
