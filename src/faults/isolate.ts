import type {NetworkAttachment} from '../engine/engine.js'
import {networkName} from '../model/topology.js'
import {siteFaultSchema} from './kill.js'
import type {Fault} from './fault.js'
import type {FaultKindModule} from './kind.js'
import {applyUndo, undoRecord, type UndoEngine} from './undo.js'
import type {RunningTarget} from './targets.js'

export interface AttachedTarget {
  id: string
  name: string
  /** DNS aliases to restore on reconnect. */
  aliases: string[]
}

/**
 * Cut a site off the WAN, both directions: its containers leave the WAN network (the site network
 * stays, so the site still works inside). Undo: reattach them with their aliases.
 */
export function isolateFault(engine: NetworkAttachment & UndoEngine, site: string, wanNetwork: string, targets: readonly AttachedTarget[]): Fault {
  if (targets.length === 0) throw new Error('isolate needs at least one container on the site')
  return {
    description: `isolate site ${site} from the WAN (${targets.map((t) => t.name).join(', ')})`,
    async inject() {
      const cut: AttachedTarget[] = []
      try {
        for (const t of targets) {
          await engine.disconnect(wanNetwork, t.id)
          cut.push(t)
        }
      } catch (error) {
        // Half-injected: undo what was cut before reporting (as much of it as the engine allows).
        await applyUndo(undoRecord.reconnect(wanNetwork, cut), engine, 'tolerant').catch(() => {})
        throw error
      }
      return {
        revert: {
          description: `reconnect site ${site} to the WAN`,
          run: async () => {
            await applyUndo(undoRecord.reconnect(wanNetwork, cut), engine, 'strict')
          },
        },
      }
    },
  }
}

const attached = (targets: readonly RunningTarget[]): AttachedTarget[] => targets.map((t) => ({id: t.container.id, name: t.container.name, aliases: [t.instance.hostname]}))

/** isolate: the site's containers leave the WAN; undo: reattach them with their aliases. */
export const isolateKind: FaultKindModule<'isolate'> = {
  kind: 'isolate',
  build: (step, env) => isolateFault(env.engine, step.target.site, networkName(env.topology.project, undefined), attached(env.targets)),
  undo: (_step, env) => undoRecord.reconnect(networkName(env.topology.project, undefined), attached(env.targets)),
}

/** isolate: a whole site; its target is {site: NAME}. */
export const isolateSchema = siteFaultSchema('isolate')
