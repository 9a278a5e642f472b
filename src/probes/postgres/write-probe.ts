import type pg from 'pg'

import type {PostgresWriteSpec as ProbeSpec} from './schema.js'
import type {Sample} from '../../model/sample.js'
import {systemClock, type Clock} from '../../util/time.js'
import {WriteFollower, type WriteDriver} from '../write-follower.js'
import {destroyClient, newClient, PROBE_TABLE, SPLIT_BRAIN_TABLE, type ProbeNode} from './connection.js'

export {PROBE_TABLE, type ProbeNode} from './connection.js'

/** SQLSTATE classes after which a write may still have committed (the server went away around the commit). */
const UNCERTAIN_SQLSTATE_CLASSES = new Set(['08', '57', '58', 'XX'])

/** PostgreSQL for the write follower: pg_is_in_recovery() says who is writable; one INSERT per sample. */
function postgresDriver(spec: ProbeSpec): WriteDriver<pg.Client> {
  return {
    client: (node, opts) => newClient(spec, node, {connectTimeoutMs: opts.connectTimeoutMs, applicationName: 'firedrill-probe', onError: opts.onLost}),
    connect: async (client) => {
      await client.connect()
    },
    destroy: destroyClient,
    async writable(client) {
      const result = await client.query<{recovery: boolean}>('SELECT pg_is_in_recovery() AS recovery')
      const writable = result.rows[0]?.recovery === false
      return {writable, why: writable ? undefined : 'read-only (in recovery)'}
    },
    async prepare(client) {
      await client.query(
        `CREATE TABLE IF NOT EXISTS ${PROBE_TABLE} (run_id text NOT NULL, seq bigint NOT NULL, written_at timestamptz NOT NULL DEFAULT clock_timestamp(), PRIMARY KEY (run_id, seq))`,
      )
      await client.query(
        `CREATE TABLE IF NOT EXISTS ${SPLIT_BRAIN_TABLE} (run_id text NOT NULL, round bigint NOT NULL, node text NOT NULL, written_at timestamptz NOT NULL DEFAULT clock_timestamp())`,
      )
    },
    async write(client, runId, seq) {
      await client.query(`INSERT INTO ${PROBE_TABLE} (run_id, seq) VALUES ($1, $2)`, [runId, seq])
    },
    classify: classifyWriteError,
    async readBack(client, runId) {
      const result = await client.query<{seq: string}>(`SELECT seq FROM ${PROBE_TABLE} WHERE run_id = $1`, [runId])
      return new Set(result.rows.map((r) => Number(r.seq)))
    },
  }
}

/**
 * Writes one sequence-numbered row at a fixed interval to whichever node accepts writes (the one not
 * in recovery), following a failover on its own (WriteFollower).
 */
export class PostgresWriteProbe extends WriteFollower<pg.Client> {
  constructor(spec: ProbeSpec, runId: string, resolveNodes: () => Promise<ProbeNode[]>, clock: Clock = systemClock, onSample: (sample: Sample) => void = () => {}) {
    super(postgresDriver(spec), spec, runId, resolveNodes, clock, onSample)
  }
}

/**
 * What an error on a write that was sent says about the write. A server error with a SQLSTATE means
 * the statement failed, unless its class says the server went away around the commit (connection,
 * operator intervention, system errors); a timeout or a dropped connection leaves it unknown.
 */
export function classifyWriteError(error: unknown): 'failed' | 'indeterminate' {
  const sqlstate = (error as {code?: unknown}).code
  const definite = typeof sqlstate === 'string' && /^[0-9A-Z]{5}$/.test(sqlstate) && !UNCERTAIN_SQLSTATE_CLASSES.has(sqlstate.slice(0, 2))
  return definite ? 'failed' : 'indeterminate'
}
