import type {ContainerLifecycle} from '../engine/engine.js'
import type {Fault} from './fault.js'

export interface KillTarget {
  id: string
  name: string
}

/** Send a signal to containers (SIGKILL by default: the process dies with no chance to clean up). Undo: start them again. */
export function killFault(engine: ContainerLifecycle, targets: readonly KillTarget[], signal: string): Fault {
  if (targets.length === 0) throw new Error('kill needs at least one target')
  const names = targets.map((t) => t.name).join(', ')
  return {
    description: `${signal} ${names}`,
    async inject() {
      await Promise.all(targets.map((t) => engine.killContainer(t.id, signal)))
      return {
        description: `start ${names}`,
        run: async () => {
          await Promise.all(targets.map((t) => engine.startContainer(t.id)))
        },
      }
    },
  }
}
