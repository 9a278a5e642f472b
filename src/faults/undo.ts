import type {ContainerExec, ContainerLifecycle, NetworkAttachment} from '../engine/engine.js'
import {errorMessage} from '../errors.js'

/**
 * How to undo a fault, as data: written to the journal before the fault is injected, so that it can
 * be undone by another process after the one that injected it was killed.
 */
export type UndoSpec =
  | {kind: 'start'; containers: {id: string; name: string}[]}
  | {kind: 'unpause'; containers: {id: string; name: string}[]}
  | {kind: 'reconnect'; network: string; containers: {id: string; name: string; aliases: string[]}[]}
  | {kind: 'remove-file'; path: string; containers: {id: string; name: string}[]}
  /** Network faults live in helper containers that carry what they own on their labels. */
  | {kind: 'net-helpers'}
  | {kind: 'none'}

export type UndoEngine = Pick<ContainerLifecycle, 'startContainer' | 'unpauseContainer'> & NetworkAttachment & ContainerExec

/**
 * Undo from the journal, tolerating what is already undone (started, unpaused, attached, removed)
 * or gone: one line per container saying what was done. Network faults are undone by their helpers' labels.
 */
export async function applyUndo(spec: UndoSpec, engine: UndoEngine): Promise<string[]> {
  const each = async <T extends {id: string; name: string}>(containers: T[], verb: string, fn: (c: T) => Promise<unknown>) =>
    Promise.all(
      containers.map(async (c) => {
        try {
          await fn(c)
          return `${verb} ${c.name}`
        } catch (error) {
          const message = errorMessage(error)
          if (/already (started|running|exists in network)|is not paused|not found|no such container|304/i.test(message)) return `${c.name}: already restored (${message.split('\n')[0]})`
          throw new Error(`could not ${verb} ${c.name}: ${message}`)
        }
      }),
    )
  switch (spec.kind) {
    case 'start':
      return each(spec.containers, 'started', (c) => engine.startContainer(c.id))
    case 'unpause':
      return each(spec.containers, 'unpaused', (c) => engine.unpauseContainer(c.id))
    case 'reconnect':
      return each(spec.containers, `reconnected to ${spec.network}`, (c) => engine.connect(spec.network, c.id, c.aliases))
    case 'remove-file':
      return each(spec.containers, `removed ${spec.path} from`, async (c) => {
        const r = await engine.exec(c.id, ['rm', '-f', '--', spec.path], {user: 'root', timeoutMs: 30_000})
        if (r.exitCode !== 0) throw new Error(r.stderr.trim() || `rm exit ${r.exitCode}`)
      })
    case 'net-helpers':
    case 'none':
      return []
  }
}
