import mysql from 'mysql2/promise'

import {endpointOf} from '../../model/reach.js'
import type {Sample} from '../../model/sample.js'
import {systemClock, type Clock} from '../../util/time.js'
import type {ProbeNode} from '../probe.js'
import {WriteFollower, type WriteDriver} from '../write-follower.js'
import type {MysqlWriteSpec} from './schema.js'

/** The probe's table: one row per acknowledged write (run id, sequence number). */
export const MYSQL_PROBE_TABLE = 'firedrill_probe'

/** A connection, or the attempt to make one (mysql2 makes the connection and connects in one call). */
export interface MysqlClient {
  node: ProbeNode
  connectTimeoutMs: number
  onLost: (error: Error) => void
  connection?: mysql.Connection
  /** Set when the probe closed it before it connected: the connection is closed as soon as it exists. */
  destroyed?: boolean
}

/** Close at once: a connection to a frozen or cut-off host never answers a COM_QUIT. */
async function destroy(client: MysqlClient): Promise<void> {
  client.destroyed = true
  client.connection?.destroy()
}

/**
 * What an error on a write that was sent says about it. A server error (an errno and a SQLSTATE, the
 * connection still usable: ER_OPTION_PREVENTS_STATEMENT 1290 for read_only, a duplicate key, a lock
 * timeout) means the statement failed; a fatal error (the connection lost, reset, timed out) or a
 * server error of the connection class (SQLSTATE 08xxx, a shutdown in progress) leaves it unknown.
 */
export function classifyMysqlError(error: unknown): 'failed' | 'indeterminate' {
  const e = error as {errno?: unknown; sqlState?: unknown; fatal?: unknown; code?: unknown}
  if (e.fatal === true) return 'indeterminate'
  if (typeof e.errno !== 'number' || typeof e.sqlState !== 'string') return 'indeterminate'
  // 1053 ER_SERVER_SHUTDOWN, 1927 ER_CONNECTION_KILLED, 2013 lost during query: the server went away around the write.
  if (e.sqlState.startsWith('08') || [1053, 1927, 2006, 2013].includes(e.errno)) return 'indeterminate'
  return 'failed'
}

/** MySQL / MariaDB for the write follower: `@@read_only = 0` says who is writable; one INSERT per sample. */
export function mysqlDriver(spec: Pick<MysqlWriteSpec, 'port' | 'database' | 'user' | 'password'>): WriteDriver<MysqlClient> {
  return {
    client: async (node, opts) => ({node, connectTimeoutMs: opts.connectTimeoutMs, onLost: opts.onLost}),
    async connect(client) {
      const at = await endpointOf(client.node, spec.port)
      const connection = await mysql.createConnection({
        host: at.host,
        port: at.port,
        user: spec.user,
        password: spec.password,
        database: spec.database,
        connectTimeout: client.connectTimeoutMs,
        // Each row's own sequence number is the data; nothing else is sent as text.
        multipleStatements: false,
      })
      connection.on('error', client.onLost)
      client.connection = connection
      if (client.destroyed) {
        connection.destroy()
        throw new Error('the probe was closed')
      }
    },
    destroy,
    async writable(client) {
      const [rows] = await client.connection!.query<mysql.RowDataPacket[]>('SELECT @@global.read_only AS ro')
      const writable = Number(rows[0]?.ro) === 0
      return {writable, why: writable ? undefined : 'read-only (read_only = 1)'}
    },
    async prepare(client) {
      await client.connection!.query(
        `CREATE TABLE IF NOT EXISTS ${MYSQL_PROBE_TABLE} (run_id VARCHAR(64) NOT NULL, seq BIGINT NOT NULL, written_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6), PRIMARY KEY (run_id, seq)) ENGINE=InnoDB`,
      )
    },
    async write(client, runId, seq) {
      // autocommit: the INSERT's OK packet is the commit's acknowledgement.
      await client.connection!.execute(`INSERT INTO ${MYSQL_PROBE_TABLE} (run_id, seq) VALUES (?, ?)`, [runId, seq])
    },
    classify: classifyMysqlError,
    async readBack(client, runId) {
      const [rows] = await client.connection!.query<mysql.RowDataPacket[]>(`SELECT seq FROM ${MYSQL_PROBE_TABLE} WHERE run_id = ?`, [runId])
      return new Set(rows.map((r) => Number(r.seq)))
    },
  }
}

/** One sequence-numbered row per interval to whichever node has read_only = 0, following a promotion (WriteFollower). */
export class MysqlWriteProbe extends WriteFollower<MysqlClient> {
  constructor(spec: MysqlWriteSpec, runId: string, resolveNodes: () => Promise<ProbeNode[]>, clock: Clock = systemClock, onSample: (sample: Sample) => void = () => {}) {
    super(mysqlDriver(spec), spec, runId, resolveNodes, clock, onSample)
  }
}
