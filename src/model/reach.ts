/**
 * How the runner reaches a container's port. Every probe kind and role reader connects through this:
 * directly to the container's address when the runner can route to it (a local engine on Linux), else
 * through the topology's relay (src/topology/relay.ts), a labelled container on the same engine that
 * forwards one published port per target. Timestamps stay on the runner's clock either way.
 */
export interface Endpoint {
  host: string
  port: number
}

/** Where the runner connects to reach one container's `port`. */
export type Reach = (port: number) => Promise<Endpoint>

/** Something with a container address (its identity: what a cluster names it by) and, when known, how to reach it. */
export interface Reachable {
  address: string
  /** Absent: the address is reached directly (a test's local server, a node built by hand). */
  reach?: Reach
}

/** The endpoint for a node's port: its route's answer, or its own address when it carries none. */
export async function endpointOf(node: Reachable, port: number): Promise<Endpoint> {
  return node.reach ? node.reach(port) : {host: node.address, port}
}

/**
 * How the runner reaches the topology's containers, for status and evidence; `none`: it cannot (a remote
 * engine and no relay yet: `up` makes one), and nothing connects to an address that is not routable from here.
 */
export type RouteVia = {kind: 'direct'} | {kind: 'relay'; container: string; host: string; why: string} | {kind: 'none'; why: string}
