import type {ContainerLifecycle} from '../engine/engine.js'
import type {Fault} from './fault.js'
import {containersOf, type FaultKindModule} from './kind.js'

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
export function killFault(engine: Pick<ContainerLifecycle, 'killContainer' | 'startContainer'>, targets: readonly ContainerTarget[], signal: string): Fault {
  requireTargets('kill', targets)
  return {
    description: `${signal} ${names(targets)}`,
    async inject() {
      await Promise.all(targets.map((t) => engine.killContainer(t.id, signal)))
      return {revert: {description: `start ${names(targets)}`, run: () => startAll(engine, targets)}}
    },
  }
}

/**
 * A site loses power: every container of the site is killed at once, as close to simultaneous as the
 * engine allows. The spread between the first and the last kill is recorded. Undo: power back on.
 */
export function powerCutFault(
  engine: Pick<ContainerLifecycle, 'killContainer' | 'startContainer'>,
  site: string,
  targets: readonly ContainerTarget[],
  now: () => number,
): Fault {
  requireTargets('power-cut', targets)
  return {
    description: `power cut of site ${site}: SIGKILL ${names(targets)}`,
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
        revert: {description: `power on site ${site}: start ${names(targets)}`, run: () => startAll(engine, targets)},
      }
    },
  }
}

/** Graceful stop (SIGTERM, then SIGKILL after the timeout). Undo: start them again. */
export function stopFault(engine: Pick<ContainerLifecycle, 'stopContainer' | 'startContainer'>, targets: readonly ContainerTarget[], timeoutMs: number): Fault {
  requireTargets('stop', targets)
  return {
    description: `stop ${names(targets)} (timeout ${timeoutMs} ms)`,
    async inject() {
      await Promise.all(targets.map((t) => engine.stopContainer(t.id, timeoutMs)))
      return {revert: {description: `start ${names(targets)}`, run: () => startAll(engine, targets)}}
    },
  }
}

/** Freeze every process of the containers (cgroup freezer). Undo: thaw them. */
export function pauseFault(engine: Pick<ContainerLifecycle, 'pauseContainer' | 'unpauseContainer'>, targets: readonly ContainerTarget[]): Fault {
  requireTargets('pause', targets)
  return {
    description: `pause ${names(targets)}`,
    async inject() {
      await Promise.all(targets.map((t) => engine.pauseContainer(t.id)))
      return {
        revert: {
          description: `unpause ${names(targets)}`,
          run: async () => {
            await Promise.all(targets.map((t) => engine.unpauseContainer(t.id)))
          },
        },
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

async function startAll(engine: Pick<ContainerLifecycle, 'startContainer'>, targets: readonly ContainerTarget[]): Promise<void> {
  await Promise.all(targets.map((t) => engine.startContainer(t.id)))
}

/** kill: send the step's signal; undo: start the containers again. */
export const killKind: FaultKindModule<'kill'> = {
  kind: 'kill',
  build: (step, env) => killFault(env.engine, containersOf(env.targets), step.signal),
  undo: (_step, env) => ({kind: 'start', containers: containersOf(env.targets)}),
}

/** stop: graceful stop within the step's timeout; undo: start them again. */
export const stopKind: FaultKindModule<'stop'> = {
  kind: 'stop',
  build: (step, env) => stopFault(env.engine, containersOf(env.targets), step.timeout),
  undo: (_step, env) => ({kind: 'start', containers: containersOf(env.targets)}),
}

/** pause: freeze; undo: thaw. */
export const pauseKind: FaultKindModule<'pause'> = {
  kind: 'pause',
  build: (_step, env) => pauseFault(env.engine, containersOf(env.targets)),
  undo: (_step, env) => ({kind: 'unpause', containers: containersOf(env.targets)}),
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
  undo: (_step, env) => ({kind: 'start', containers: containersOf(env.targets)}),
}
