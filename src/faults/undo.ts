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
 * How an undo record is applied. `strict`: the runner reverting its own fault; every engine error fails
 * the revert, which is reported as failed (a container that will not start is not "already undone").
 * `tolerant`: `firedrill cleanup` after a crash, when the killed run may have reverted some of it already:
 * already started, not paused, already on the network, no such container or file count as done.
 */
export type UndoMode = 'strict' | 'tolerant'

const ALREADY_UNDONE = /already (started|running|exists in network)|is not paused|not found|no such container|304/i

/** The undo records of the container-lifecycle and attachment faults, built in one place for the fault and its journal entry. */
export const undoRecord = {
  start: (containers: readonly {id: string; name: string}[]): UndoSpec => ({kind: 'start', containers: containers.map(({id, name}) => ({id, name}))}),
  unpause: (containers: readonly {id: string; name: string}[]): UndoSpec => ({kind: 'unpause', containers: containers.map(({id, name}) => ({id, name}))}),
  reconnect: (network: string, containers: readonly {id: string; name: string; aliases: string[]}[]): UndoSpec => ({
    kind: 'reconnect',
    network,
    containers: containers.map(({id, name, aliases}) => ({id, name, aliases})),
  }),
  removeFile: (path: string, containers: readonly {id: string; name: string}[]): UndoSpec => ({kind: 'remove-file', path, containers: containers.map(({id, name}) => ({id, name}))}),
}

/**
 * Apply an undo record: the one way a fault is undone, by the runner's revert (`strict`) and by
 * `firedrill cleanup` from the crash journal (`tolerant`). One line per container saying what was
 * done. Network faults (`net-helpers`) are undone by their helpers, which carry what they own on their labels.
 */
export async function applyUndo(spec: UndoSpec, engine: UndoEngine, mode: UndoMode): Promise<string[]> {
  const each = async <T extends {id: string; name: string}>(containers: T[], done: string, todo: string, fn: (c: T) => Promise<unknown>) =>
    Promise.all(
      containers.map(async (c) => {
        try {
          await fn(c)
          return `${done} ${c.name}`
        } catch (error) {
          const message = errorMessage(error)
          if (mode === 'tolerant' && ALREADY_UNDONE.test(message)) return `${c.name}: already restored (${message.split('\n')[0]})`
          throw new Error(`could not ${todo} ${c.name}: ${message}`)
        }
      }),
    )
  switch (spec.kind) {
    case 'start':
      return each(spec.containers, 'started', 'start', (c) => engine.startContainer(c.id))
    case 'unpause':
      return each(spec.containers, 'unpaused', 'unpause', (c) => engine.unpauseContainer(c.id))
    case 'reconnect':
      return each(spec.containers, `reconnected to ${spec.network}`, `reconnect to ${spec.network}`, (c) => engine.connect(spec.network, c.id, c.aliases))
    case 'remove-file':
      return each(spec.containers, `removed ${spec.path} from`, `remove ${spec.path} from`, async (c) => {
        const r = await engine.exec(c.id, ['rm', '-f', '--', spec.path], {user: 'root', timeoutMs: 30_000})
        if (r.exitCode !== 0) throw new Error(r.stderr.trim() || `rm exit ${r.exitCode}`)
      })
    case 'net-helpers':
    case 'none':
      return []
  }
}
