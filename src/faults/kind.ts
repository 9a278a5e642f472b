import type {FaultSpec} from '../model/fault-spec.js'
import type {ContainerExec, ContainerLifecycle, NetworkAttachment} from '../engine/engine.js'
import type {FaultKind} from '../model/vocabulary.js'
import type {Topology} from '../model/topology.js'
import type {ObservedInstance} from '../topology/observe.js'
import type {Fault} from './fault.js'
import type {NetHelpers} from './net-helper.js'
import type {RunningTarget} from './targets.js'
import type {UndoSpec} from './undo.js'

/** A validated fault step of kind K (the member of the union on `fault:` that K belongs to, narrowed to K). */
export type FaultOf<K extends FaultKind> = FaultSpec & {fault: K}

export type FaultEngine = ContainerLifecycle & NetworkAttachment & ContainerExec

/** What network faults need besides their targets: the helpers, and every container as seen when the step ran (for peer addresses). */
export interface NetFaultContext {
  helpers: NetHelpers
  observed: readonly ObservedInstance[]
  /** Where a network fault's own report goes (the timeline), e.g. what the delayer held when it stopped. */
  note?: (text: string) => void
}

/** What building a fault is given: the containers the step picked when it ran, and what it acts through. */
export interface FaultEnv {
  targets: readonly RunningTarget[]
  topology: Topology
  engine: FaultEngine
  /** The runner's monotonic clock (a power cut records the spread of its kills). */
  now: () => number
  /** Network faults only; the runner prepares the helpers when the drill has any. */
  net?: NetFaultContext
}

/**
 * A fault kind, in the module that implements it: how a step of this kind becomes a Fault (whose
 * inject returns its revert), and the undo record the crash journal keeps before it is injected
 * (what `firedrill cleanup` applies if the runner is killed). src/faults/catalog.ts lists the kinds.
 */
export interface FaultKindModule<K extends FaultKind> {
  kind: K
  build(step: FaultOf<K>, env: FaultEnv): Fault
  /** How to undo the step, as data; asked only when the step is to be reverted (revert: true). */
  undo(step: FaultOf<K>, env: Pick<FaultEnv, 'targets' | 'topology'>): UndoSpec
}

export function containersOf(targets: readonly RunningTarget[]): {id: string; name: string}[] {
  return targets.map((t) => ({id: t.container.id, name: t.container.name}))
}

export function requireNet(net: NetFaultContext | undefined): NetFaultContext {
  if (!net) throw new Error('network faults need the network helpers (the runner provides them)')
  return net
}
