/** Reverse-DNS labels on everything firedrill creates; lifecycle finds resources by these, never by name. */
export const LABEL = {
  project: 'io.firedrill.project',
  site: 'io.firedrill.site',
  service: 'io.firedrill.service',
  run: 'io.firedrill.run',
  /** Which kind of thing firedrill made this for: `topology` (networks, containers, volumes of `up`). */
  role: 'io.firedrill.role',
  version: 'io.firedrill.version',
  /** On everything of a topology copy `run --parallel` made: the project it is a copy of. */
  copyOf: 'io.firedrill.copy-of',
  /** On a network-fault helper: the iptables chain its fault owns, and the container whose namespace it is in. */
  fault: 'io.firedrill.fault',
  target: 'io.firedrill.target',
  /** On a network-fault helper: set when its fault owns the root qdisc fd: in that namespace. */
  qdisc: 'io.firedrill.qdisc',
  /** On the relay: why the runner reaches the containers through it (status and evidence say so). */
  relayWhy: 'io.firedrill.relay-why',
} as const

export type Labels = Record<string, string>

export function projectFilter(project: string): string[] {
  return [`${LABEL.project}=${project}`]
}

/** io.firedrill.role of a network-fault helper: fault state, not topology (observe skips it; cleanup heals it). */
export const NET_HELPER_ROLE = 'net-helper'

/** io.firedrill.role of the relay: how the runner reaches the topology's containers when it cannot route to them (src/topology/relay.ts). */
export const RELAY_ROLE = 'relay'
