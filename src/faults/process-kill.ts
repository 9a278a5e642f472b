import {z} from 'zod'

import type {FaultKindSchema} from '../config/fault-kinds.js'
import type {ContainerExec} from '../engine/engine.js'
import type {Fault} from './fault.js'
import {containersOf, type FaultKindModule} from './kind.js'
import {narrowTargeted, signalField, type ContainerTarget} from './kill.js'

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

/** process-kill: the process name (exact; the oldest such process is killed) and the signal. */
export const processKillSchema: FaultKindSchema<'process-kill'> = {
  kind: 'process-kill',
  fields: {
    process: z
      .string()
      .regex(/^[A-Za-z0-9_.-]+$/, {error: 'process must be a plain process name'})
      // pkill --exact matches the kernel's name of a process, which keeps its first 15 characters only.
      .max(15, {error: 'process must be at most 15 characters: the kernel keeps only the first 15 of a process name, so a longer one never matches'})
      .default('postgres'),
    ...signalField,
  },
  target: 'required',
  leaveable: 'a process-kill has nothing to revert (its supervisor restarts the process)',
  narrow: narrowTargeted,
}
