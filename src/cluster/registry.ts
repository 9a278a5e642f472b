import {commandRoleReader} from './command.js'
import {httpRoleReader} from './http.js'
import {patroniRoleReader} from './patroni.js'
import type {RoleReader} from './role-reader.js'

/** Role readers by cluster manager (the topology's cluster.manager); each reads the spec of its own manager. */
const readers = new Map<string, RoleReader>([
  ['patroni', patroniRoleReader as RoleReader],
  ['command', commandRoleReader as RoleReader],
  ['http', httpRoleReader as RoleReader],
])

export function roleReaderFor(manager: string): RoleReader {
  const reader = readers.get(manager)
  if (!reader) throw new Error(`no role reader for cluster manager "${manager}" (known: ${[...readers.keys()].join(', ')})`)
  return reader
}

/**
 * Add a role reader for a cluster manager, or stand one in for a known manager (a test's fake).
 * Returns how to put back what was there before.
 */
export function registerRoleReader(manager: string, reader: RoleReader): () => void {
  const before = readers.get(manager)
  readers.set(manager, reader)
  return () => {
    if (before) readers.set(manager, before)
    else readers.delete(manager)
  }
}
