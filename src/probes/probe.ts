import type {z} from 'zod'

import type {ProbeCapabilities, ProbeKindSchema, ProbeMeasures, ProbeSpec} from '../config/probe-kinds.js'
import type {Place} from '../config/drill.js'
import type {LagSample, Sample} from '../model/sample.js'
import type {Clock} from '../util/time.js'
import type {Reachable} from '../model/reach.js'

export type {ProbeCapabilities, ProbeMeasures, ProbeSpec} from '../config/probe-kinds.js'

/**
 * One instance of the probe's service: its container address at the probe's vantage (what the system
 * itself names it by, e.g. a Sentinel's answer) and how the probe's client reaches a port there
 * (`endpointOf(node, port)`: directly, or through the topology's relay).
 */
export interface ProbeNode extends Reachable {
  /** The instance's hostname (for a cluster, also its member name). */
  name: string
  /** The site it runs on (client-side failover goes through sites in a declared order). */
  site?: string
}

/** Where a probe runs a command (the `command` kind): on the host, or in the one running container a target picks now. */
export type ProbeExecPlace = Place

/** A command's outcome: exit code (null when it was killed at its timeout), and its output. */
export interface ProbeExecResult {
  exitCode: number | null
  timedOut: boolean
  stdout: string
  stderr: string
}

/**
 * What the runner hands a probe: its name in the drill, its run, its clock (every wait goes through it),
 * where the service's instances are now, and a way to run an argv where a target picks. Several probes
 * of one drill each get their own context on the same clock.
 */
export interface ProbeContext {
  /** The probe's name in the drill (`probes: {api: ...}` → `api`; the one-probe shorthand `probe:` → `probe`). */
  name: string
  runId: string
  clock: Clock
  /** The service's running instances, as a client on the WAN (`wan`) or inside each instance's own site (`site`) reaches them now. */
  nodes(vantage: 'wan' | 'site'): Promise<ProbeNode[]>
  /** Any service's running instances, as `nodes` gives the probe's own (a probe addressing a gateway by name). */
  instances(service: string, vantage: 'wan' | 'site'): Promise<ProbeNode[]>
  /** Run an argv (never a shell string) on the host or in the container a target picks, killed after timeoutMs. */
  exec(argv: readonly string[], where: ProbeExecPlace, timeoutMs: number, signal?: AbortSignal): Promise<ProbeExecResult>
}

/** The workload that samples the service the whole drill: one Sample per interval on the runner's clock. */
export interface Probe {
  readonly samples: readonly Sample[]
  /**
   * How precisely its samples place a recovery, when coarser than its interval (a kind whose samples each
   * wait up to the timeout, one at a time: timeout + interval); every figure is printed ± this. Default: the interval.
   */
  readonly resolutionMs?: number
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
  /** The most this kind can measure. */
  capabilities: ProbeCapabilities
  /** What one spec measures when that depends on its fields (http reads back only with write + read); default: capabilities. */
  measures?: ProbeMeasures
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
