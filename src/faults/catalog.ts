import type {FaultStep} from '../config/drill.js'
import type {Topology} from '../model/topology.js'
import type {FaultKind} from '../model/vocabulary.js'
import {degradeKind} from './degrade.js'
import {diskFullKind} from './disk-full.js'
import type {Fault} from './fault.js'
import {isolateKind} from './isolate.js'
import {hostPowerCutKind, killKind, pauseKind, powerCutKind, restartKind, stopKind} from './kill.js'
import type {FaultEngine, FaultKindModule, NetFaultContext} from './kind.js'
import {partitionKind} from './partition.js'
import {processKillKind} from './process-kill.js'
// The drill loader validates fault steps against the kinds' schemas: registered with the kinds.
import './schemas.js'
import type {RunningTarget} from './targets.js'
import type {UndoSpec} from './undo.js'

export type {FaultEngine, NetFaultContext} from './kind.js'

/** Every fault kind, each in the module that implements it (a new kind: its module, and one line here). */
const KINDS = {
  kill: killKind,
  stop: stopKind,
  pause: pauseKind,
  restart: restartKind,
  'power-cut': powerCutKind,
  'host-power-cut': hostPowerCutKind,
  isolate: isolateKind,
  'process-kill': processKillKind,
  'disk-full': diskFullKind,
  partition: partitionKind,
  degrade: degradeKind,
} satisfies {[K in FaultKind]: FaultKindModule<K>}

/** The module of a step's kind; the table above pairs each kind with its own module, so the step fits it. */
function kindOf(step: FaultStep): FaultKindModule<FaultKind> {
  return KINDS[step.fault] as FaultKindModule<FaultKind>
}

/** The fault a step describes, aimed at the containers its selector picked when the step ran. */
export function buildFault(step: FaultStep, targets: readonly RunningTarget[], topology: Topology, engine: FaultEngine, now: () => number, net?: NetFaultContext): Fault {
  return kindOf(step).build(step, {targets, topology, engine, now, net})
}

/**
 * How to undo what a step is about to do, as data for the journal (written before the fault is
 * injected). A fault with revert: false is meant to stay, and so is not undone by cleanup either.
 */
export function undoSpecOf(step: FaultStep, targets: readonly RunningTarget[], topology: Topology): UndoSpec {
  if (!step.revert) return {kind: 'none'}
  return kindOf(step).undo(step, {targets, topology})
}
