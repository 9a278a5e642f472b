import pg from 'pg'

import {endpointOf} from '../../model/reach.js'
import type {PostgresWriteSpec} from './schema.js'

/**
 * Close a client at once. A connection to a frozen or cut-off host never answers a Terminate, so the
 * socket is destroyed first; otherwise it would stay open and keep the process from exiting.
 */
export async function destroyClient(client: pg.Client): Promise<void> {
  ;(client as unknown as {connection?: {stream?: {destroy(): void}}}).connection?.stream?.destroy()
  await client.end().catch(() => {})
}

export interface ProbeNode {
  /** The node's name (its hostname, which is also its Patroni member name). */
  name: string
  address: string
}

/** The probe's table: one row per acknowledged write (run id, sequence number). */
export const PROBE_TABLE = 'firedrill_probe'
/** The split-brain watch's table: one row per write it got acknowledged by a node. */
export const SPLIT_BRAIN_TABLE = 'firedrill_split_brain'

/**
 * A client for one node with the probe's credentials (not yet connected): the one place the family
 * sets up a pg.Client. `onError` sees what a live connection raises when its node goes away.
 */
export async function newClient(
  spec: Pick<PostgresWriteSpec, 'port' | 'user' | 'password' | 'database'>,
  node: ProbeNode,
  opts: {connectTimeoutMs: number; queryTimeoutMs?: number; applicationName?: string; onError: (error: Error) => void},
): Promise<pg.Client> {
  const at = await endpointOf(node, spec.port)
  const client = new pg.Client({
    host: at.host,
    port: at.port,
    user: spec.user,
    password: spec.password,
    database: spec.database,
    connectionTimeoutMillis: opts.connectTimeoutMs,
    ...(opts.queryTimeoutMs === undefined ? {} : {query_timeout: opts.queryTimeoutMs}),
    ...(opts.applicationName === undefined ? {} : {application_name: opts.applicationName}),
  })
  client.on('error', opts.onError)
  return client
}
