import type {ClusterRole} from '../model/vocabulary.js'

/** The words systems use for a role, in firedrill's vocabulary (Patroni, MySQL, Redis, MongoDB, …). */
const WORDS: Record<string, ClusterRole> = {
  leader: 'leader',
  primary: 'leader',
  master: 'leader',
  sync_standby: 'sync_standby',
  'sync-standby': 'sync_standby',
  replica: 'replica',
  standby: 'replica',
  slave: 'replica',
  secondary: 'replica',
}

/**
 * The role a member's own words name: the first non-empty line of `output`, trimmed, looked up first
 * in `outputs` (the topology's own words, as written) and then, lower-cased, in the usual words.
 * Undefined when it names none.
 */
export function roleFromOutput(output: string, outputs: Readonly<Record<string, ClusterRole>> = {}): ClusterRole | undefined {
  const line = output.split(/\r?\n/).map((l) => l.trim()).find((l) => l !== '')
  if (line === undefined) return undefined
  return outputs[line] ?? WORDS[line.toLowerCase()]
}
