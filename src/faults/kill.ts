import {duration, signalName} from '../config/common.js'
import type {FaultKindSchema} from '../config/fault-kinds.js'
import type {ContainerLifecycle} from '../engine/engine.js'
import type {FaultFields, FaultSpec} from '../model/fault-spec.js'
import {engineOfSite} from '../model/topology.js'
import type {Fault} from './fault.js'
import {containersOf, type FaultKindModule} from './kind.js'
import {applyUndo, undoRecord, type UndoEngine, type UndoSpec} from './undo.js'

export interface ContainerTarget {
  id: string
  name: string
}

function names(targets: readonly ContainerTarget[]): string {
  return targets.map((t) => t.name).join(', ')
}

function requireTargets(kind: string, targets: readonly ContainerTarget[]): void {
  if (targets.length === 0) throw new Error(`${kind} needs at least one target`)
}

/** Send a signal to containers (SIGKILL by default: no chance to clean up). Undo: start them again. */
export function killFault(engine: Pick<ContainerLifecycle, 'killContainer'> & UndoEngine, targets: readonly ContainerTarget[], signal: string): Fault {
  requireTargets('kill', targets)
  return {
    description: `${signal} ${names(targets)}`,
    async inject() {
      await Promise.all(targets.map((t) => engine.killContainer(t.id, signal)))
      return {revert: {description: `start ${names(targets)}`, run: () => undo(engine, undoRecord.start(targets))}}
    },
  }
}

/**
 * A site loses power: every container of the site is killed at once, as close to simultaneous as the
 * engine allows. The spread between the first and the last kill is recorded. Undo: power back on.
 */
export function powerCutFault(
  engine: Pick<ContainerLifecycle, 'killContainer'> & UndoEngine,
  site: string,
  targets: readonly ContainerTarget[],
  now: () => number,
  /** host-power-cut: the host (engine) that loses power, with every site on it. */
  host?: {engine: string; sites: readonly string[]},
): Fault {
  requireTargets(host ? 'host-power-cut' : 'power-cut', targets)
  const what = host ? `host ${host.engine} (sites ${host.sites.join(', ')})` : `site ${site}`
  return {
    description: `power cut of ${what}: SIGKILL ${names(targets)}`,
    async inject() {
      const done = await Promise.all(
        targets.map(async (t) => {
          await engine.killContainer(t.id, 'SIGKILL')
          return now()
        }),
      )
      const spread = Math.max(...done) - Math.min(...done)
      return {
        detail: `${targets.length} containers killed; spread between first and last kill completing: ${spread.toFixed(1)} ms`,
        revert: {description: `power on ${what}: start ${names(targets)}`, run: () => undo(engine, undoRecord.start(targets))},
      }
    },
  }
}

/** Graceful stop (SIGTERM, then SIGKILL after the timeout). Undo: start them again. */
export function stopFault(engine: Pick<ContainerLifecycle, 'stopContainer'> & UndoEngine, targets: readonly ContainerTarget[], timeoutMs: number): Fault {
  requireTargets('stop', targets)
  return {
    description: `stop ${names(targets)} (timeout ${timeoutMs} ms)`,
    async inject() {
      await Promise.all(targets.map((t) => engine.stopContainer(t.id, timeoutMs)))
      return {revert: {description: `start ${names(targets)}`, run: () => undo(engine, undoRecord.start(targets))}}
    },
  }
}

/** Freeze every process of the containers (cgroup freezer). Undo: thaw them. */
export function pauseFault(engine: Pick<ContainerLifecycle, 'pauseContainer'> & UndoEngine, targets: readonly ContainerTarget[]): Fault {
  requireTargets('pause', targets)
  return {
    description: `pause ${names(targets)}`,
    async inject() {
      await Promise.all(targets.map((t) => engine.pauseContainer(t.id)))
      return {
        revert: {description: `unpause ${names(targets)}`, run: () => undo(engine, undoRecord.unpause(targets))},
      }
    },
  }
}

/** Restart the containers; nothing to undo. */
export function restartFault(engine: Pick<ContainerLifecycle, 'restartContainer'>, targets: readonly ContainerTarget[], timeoutMs: number): Fault {
  requireTargets('restart', targets)
  return {
    description: `restart ${names(targets)}`,
    async inject() {
      await Promise.all(targets.map((t) => engine.restartContainer(t.id, timeoutMs)))
      return {}
    },
  }
}

/** A revert applies the fault's own undo record, strictly: an engine error fails it (src/faults/undo.ts). */
async function undo(engine: UndoEngine, record: UndoSpec): Promise<void> {
  await applyUndo(record, engine, 'strict')
}

/** kill: send the step's signal; undo: start the containers again. */
export const killKind: FaultKindModule<'kill'> = {
  kind: 'kill',
  build: (step, env) => killFault(env.engine, containersOf(env.targets), step.signal),
  undo: (_step, env) => undoRecord.start(containersOf(env.targets)),
}

/** stop: graceful stop within the step's timeout; undo: start them again. */
export const stopKind: FaultKindModule<'stop'> = {
  kind: 'stop',
  build: (step, env) => stopFault(env.engine, containersOf(env.targets), step.timeout),
  undo: (_step, env) => undoRecord.start(containersOf(env.targets)),
}

/** pause: freeze; undo: thaw. */
export const pauseKind: FaultKindModule<'pause'> = {
  kind: 'pause',
  build: (_step, env) => pauseFault(env.engine, containersOf(env.targets)),
  undo: (_step, env) => undoRecord.unpause(containersOf(env.targets)),
}

/** restart: nothing to undo. */
export const restartKind: FaultKindModule<'restart'> = {
  kind: 'restart',
  build: (step, env) => restartFault(env.engine, containersOf(env.targets), step.timeout),
  undo: () => ({kind: 'none'}),
}

/** power-cut: every container of the site at once; undo: power back on (start them). */
export const powerCutKind: FaultKindModule<'power-cut'> = {
  kind: 'power-cut',
  build: (step, env) => powerCutFault(env.engine, step.target.site, containersOf(env.targets), env.now),
  undo: (_step, env) => undoRecord.start(containersOf(env.targets)),
}

/**
 * host-power-cut: the host the target site runs on loses power. Every container of every site on that
 * engine is killed at once (the runner picks them: src/drill/fault-step.ts); undo: power back on.
 */
export const hostPowerCutKind: FaultKindModule<'host-power-cut'> = {
  kind: 'host-power-cut',
  build: (step, env) => {
    const engine = engineOfSite(env.topology, step.target.site)
    const sites = env.topology.sites.filter((s) => s.engine === engine).map((s) => s.name)
    return powerCutFault(env.engine, step.target.site, containersOf(env.targets), env.now, {engine, sites})
  },
  undo: (_step, env) => undoRecord.start(containersOf(env.targets)),
}

/** kill and process-kill: the signal sent, by its Linux name (the engine and pkill refuse any other). */
export const signalField = {signal: signalName().default('SIGKILL')}
/** stop and restart: how long to wait for a graceful exit before SIGKILL. */
export const stopTimeoutField = {timeout: duration().default(10_000)}

/** A step of a kind that needs a target and nothing else. */
const targeted = (step: FaultFields): FaultSpec | undefined => {
  const {fault, target} = step
  if (target === undefined || fault === 'partition' || fault === 'power-cut' || fault === 'host-power-cut' || fault === 'isolate' || fault === 'disk-full') return undefined
  return {...step, fault, target}
}

/** A whole site's fault (power-cut, host-power-cut, isolate): its target is {site: NAME} and nothing else. */
export function siteFaultSchema<K extends 'power-cut' | 'host-power-cut' | 'isolate'>(kind: K): FaultKindSchema<K> {
  return {
    kind,
    target: 'required',
    leaveable: true,
    check: (step, ctx) => {
      const t = step.target
      if (t && (t.site === undefined || t.service !== undefined || t.role !== undefined)) {
        ctx.addIssue({code: 'custom', path: ['target'], message: `${step.fault} acts on a whole site: its target is {site: NAME} and nothing else`})
      }
    },
    narrow: (step) => {
      const site = step.target?.site
      return step.fault === kind && step.target && site !== undefined ? {...step, fault: kind, target: {...step.target, site}} : undefined
    },
  }
}

export const killSchema: FaultKindSchema<'kill'> = {kind: 'kill', fields: signalField, target: 'required', leaveable: true, narrow: targeted}
export const stopSchema: FaultKindSchema<'stop'> = {kind: 'stop', fields: stopTimeoutField, target: 'required', leaveable: true, narrow: targeted}
export const pauseSchema: FaultKindSchema<'pause'> = {
  kind: 'pause',
  target: 'required',
  leaveable: 'cleanup and the next run thaw every paused container of the project, so a pause cannot be left in place (kill or stop it instead)',
  narrow: targeted,
}
export const restartSchema: FaultKindSchema<'restart'> = {kind: 'restart', fields: stopTimeoutField, target: 'required', leaveable: 'a restart has nothing to revert (the container runs again by itself)', narrow: targeted}
export const powerCutSchema = siteFaultSchema('power-cut')
export const hostPowerCutSchema = siteFaultSchema('host-power-cut')
/** The narrowing of every kind whose step needs only its target (process-kill and degrade use it too). */
export {targeted as narrowTargeted}
