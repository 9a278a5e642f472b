import type {z} from 'zod'

import type {ProbeCapabilities, ProbeKindSchema, ProbeSpec} from '../config/probe-kinds.js'
import type {LagSample, Sample} from '../model/sample.js'
import type {Clock} from '../util/time.js'

export type {ProbeCapabilities, ProbeSpec} from '../config/probe-kinds.js'

/** One instance of the probe's service, at the address the probe's client reaches it on. */
export interface ProbeNode {
  /** The instance's hostname (for a cluster, also its member name). */
  name: string
  address: string
}

/** What the runner hands a probe: its run, its clock (every wait goes through it) and where the service's instances are now. */
export interface ProbeContext {
  runId: string
  clock: Clock
  /**
   * The service's running instances, as a client on the WAN (`wan`) or inside each instance's own site
   * (`site`) reaches them now; another service's (a redis probe's Sentinels) when `service` is given.
   */
  nodes(vantage: 'wan' | 'site', service?: string): Promise<ProbeNode[]>
}

/** The workload that samples the service the whole drill: one Sample per interval on the runner's clock. */
export interface Probe {
  readonly samples: readonly Sample[]
  /** Prepare (a table, say) and start sampling; throws when the service cannot be reached at all. */
  start(): Promise<void>
  /** Stop sampling; the samples stay. */
  stop(): Promise<void>
  /** Every write present now, read the way the service's users would (capability `rpo`); undefined when nothing answers. */
  readBack?(timeoutMs: number): Promise<{node: string; seqs: Set<number>} | undefined>
  /**
   * The nodes that accept writes now, each asked the way the kind finds its writable node
   * (pg_is_in_recovery, @@read_only, ROLE); undefined when none answered. Two or more at the end of a
   * drill is two writable nodes, which the verdict says whatever the objectives (a kind that can tell).
   */
  writableNodes?(timeoutMs: number): Promise<string[] | undefined>
  /** Release every connection, those still being made too. */
  close(): Promise<void>
}

/** Writes to every node at once each interval, to see two of them acknowledging as primary (capability `splitBrain`). */
export interface SplitBrainWatcher {
  readonly acks: readonly {node: string; end: number}[]
  start(): Promise<void>
  stop(): Promise<void>
}

/** Samples standbys' replication lag (capability `replicationLag`). */
export interface LagWatcher {
  readonly samples: readonly LagSample[]
  readonly errors: readonly string[]
  start(): void
  stop(): Promise<void>
}

/**
 * A probe kind: its schema (one member of the union on `kind:`), what it can measure, and how to make
 * its probe and watches. One module per kind, registered in src/probes/registry.ts.
 */
export interface ProbeKind<S extends ProbeKindSchema = ProbeKindSchema> {
  kind: string
  schema: S
  capabilities: ProbeCapabilities
  create(spec: z.output<S>, ctx: ProbeContext): Probe
  /** Required when capabilities.splitBrain. */
  splitBrainWatch?(spec: z.output<S>, ctx: ProbeContext): SplitBrainWatcher
  /** Required when capabilities.replicationLag. */
  replicationLagWatch?(spec: z.output<S>, watch: {standbys: readonly string[]; intervalMs: number}, ctx: ProbeContext): LagWatcher
}

/** A probe kind as the registry keeps it: the spec it receives was validated by its own schema (the union picked it by `kind`). */
export type AnyProbeKind = Omit<ProbeKind, 'create' | 'splitBrainWatch' | 'replicationLagWatch'> & {
  create(spec: ProbeSpec, ctx: ProbeContext): Probe
  splitBrainWatch?(spec: ProbeSpec, ctx: ProbeContext): SplitBrainWatcher
  replicationLagWatch?(spec: ProbeSpec, watch: {standbys: readonly string[]; intervalMs: number}, ctx: ProbeContext): LagWatcher
}
