import type {ContainerExec} from '../engine/engine.js'
import type {Fault} from './fault.js'
import {containersOf, type FaultKindModule} from './kind.js'
import type {ContainerTarget} from './kill.js'

/**
 * Kill a process inside containers, not the containers: the oldest process with exactly this name
 * (for PostgreSQL, the postmaster). Nothing to undo: the supervisor (Patroni) restarts it.
 */
export function processKillFault(engine: ContainerExec, targets: readonly ContainerTarget[], processName: string, signal: string): Fault {
  if (targets.length === 0) throw new Error('process-kill needs at least one target')
  const sig = signal.replace(/^SIG/, '')
  return {
    description: `${signal} process ${processName} in ${targets.map((t) => t.name).join(', ')}`,
    async inject() {
      const results = await Promise.all(
        targets.map(async (t) => ({t, r: await engine.exec(t.id, ['pkill', '--signal', sig, '--oldest', '--exact', processName], {user: 'root', timeoutMs: 10_000})})),
      )
      const missed = results.filter(({r}) => r.exitCode !== 0)
      if (missed.length > 0) {
        throw new Error(`no process named ${processName} in ${missed.map(({t}) => t.name).join(', ')} (pkill exit ${missed[0]?.r.exitCode})`)
      }
      return {detail: `killed the oldest ${processName} process in ${results.length} container(s); its supervisor restarts it`}
    },
  }
}

/** process-kill: nothing to undo (the supervisor restarts the process). */
export const processKillKind: FaultKindModule<'process-kill'> = {
  kind: 'process-kill',
  build: (step, env) => processKillFault(env.engine, containersOf(env.targets), step.process, step.signal),
  undo: () => ({kind: 'none'}),
}
