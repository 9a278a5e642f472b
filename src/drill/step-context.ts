import type {Engine} from '../engine/engine.js'
import type {NetHelpers} from '../faults/net-helper.js'
import type {AssertOutcome} from '../model/objectives.js'
import type {FaultRecord} from '../model/result.js'
import type {Sample} from '../model/sample.js'
import type {Topology} from '../model/topology.js'
import type {Clock} from '../util/time.js'
import type {Journal} from './journal.js'
import type {RevertOutcome, RevertStack} from './reverts.js'
import type {Timeline} from './timeline.js'

/** The person running the drill at a terminal; absent when nobody is there (--ci, no TTY). */
export interface Operator {
  /** Who confirms manual steps: --operator, or the login name. */
  readonly name: string
  /** Show a manual step and wait for the operator: done, failed (could not do it), or no answer in time. */
  confirm(step: {number: number; of: number; title: string; instructions?: string; timeoutMs: number}, signal?: AbortSignal): Promise<'done' | 'failed' | 'timed-out'>
}

export interface StepContext {
  topology: Topology
  engine: Engine
  clock: Clock
  timeline: Timeline
  reverts: RevertStack
  /** The first probe's samples and stable run (the live line, the recovery anchor). */
  samples: readonly Sample[]
  stableSamples: number
  /** Every probe of the drill: `wait: recovered` waits for all of them. */
  probes?: readonly {name: string; samples: readonly Sample[]; stableSamples: number}[]
  signal?: AbortSignal
  /**
   * The disruption the drill measures from: `at` is set by the first fault (or disruptive runbook), just
   * before its engine call; `settled` when that call returned (the runbook or manual step finished): from then on the
   * disruption is fully in place. A partition of six containers took 1.35 s to put in place under load.
   */
  anchor: {at?: number; settled?: number}
  asserts: AssertOutcome[]
  revertOutcomes: RevertOutcome[]
  operator?: Operator
  stepCount: number
  /** What is about to change, on disk before each fault (absent in tests that need no crash record). */
  journal?: Journal
  /** Helpers for network faults (partition, degrade); prepared by the runner when the drill has any. */
  netHelpers?: NetHelpers
  /** Each fault injected, with what it recorded (the mechanism of a network fault). */
  faults?: FaultRecord[]
  /** Containers a fault with `revert: false` left as it made them, on purpose: not waited on to be healthy again. */
  leftDown?: Set<string>
  /** When the first heal step ran (monotonic ms). */
  healedAt?: number
}

export type StepStatus = 'done' | 'timed-out'

/** A disruptive runbook or manual step (a switchover, a promotion) is what the drill measures from when no fault came first. */
export function markDisruption(ctx: StepContext, detail: string): void {
  const at = ctx.timeline.record('fault', detail)
  ctx.anchor.at ??= at
}
