import type pg from 'pg'

import type {PostgresWriteSpec as ProbeSpec} from './schema.js'
import {errorMessage} from '../../errors.js'
import {every, systemClock, type Clock} from '../../util/time.js'
import {destroyClient, newClient, type ProbeNode} from './connection.js'
import type {LagSample} from '../../model/sample.js'

export type {LagSample} from '../../model/sample.js'


const QUERY = `SELECT application_name, state,
  (extract(epoch FROM replay_lag) * 1000)::float8 AS replay_lag_ms,
  pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)::float8 AS lag_bytes
FROM pg_stat_replication`

/**
 * Samples standbys' replication lag from the primary every interval: replay_lag and the WAL distance
 * from pg_stat_replication. It finds the primary itself (the node not in recovery) and finds it again
 * after an error. A standby that is not listed in a round is recorded with null lag and state "absent".
 */
export class ReplicationLagWatch {
  readonly samples: LagSample[] = []
  readonly errors: string[] = []
  private client?: pg.Client
  private readonly ticking = new AbortController()
  private busy = false
  private stopped = false

  constructor(
    private readonly spec: Pick<ProbeSpec, 'port' | 'database' | 'user' | 'password' | 'timeout'>,
    private readonly standbys: readonly string[],
    private readonly intervalMs: number,
    private readonly resolveNodes: () => Promise<ProbeNode[]>,
    private readonly clock: Clock = systemClock,
  ) {}

  start(): void {
    void every(this.clock, this.intervalMs, () => void this.tick(), this.ticking.signal)
  }

  async stop(): Promise<void> {
    this.stopped = true
    this.ticking.abort()
    const deadline = this.clock.now() + this.spec.timeout * 2
    while (this.busy && this.clock.now() < deadline) await this.clock.sleep(20)
    await this.drop()
  }

  private async tick(): Promise<void> {
    if (this.busy || this.stopped) return
    this.busy = true
    try {
      this.client ??= await this.connectPrimary()
      // A tick still connecting when stop() gave up waiting for it: close what it opened.
      if (this.stopped) return await this.drop()
      const t = this.clock.now()
      const r = await this.client.query<{application_name: string; state: string; replay_lag_ms: number | null; lag_bytes: number | null}>({text: QUERY, query_timeout: this.spec.timeout} as pg.QueryConfig)
      for (const standby of this.standbys) {
        const row = r.rows.find((x) => x.application_name === standby)
        this.samples.push({t, standby, replay_lag_ms: row?.replay_lag_ms ?? null, lag_bytes: row?.lag_bytes ?? null, state: row?.state ?? 'absent'})
      }
    } catch (error) {
      if (this.errors.length < 20) this.errors.push(errorMessage(error))
      await this.drop()
    } finally {
      this.busy = false
    }
  }

  private async connectPrimary(): Promise<pg.Client> {
    for (const node of await this.resolveNodes()) {
      const client = await newClient(this.spec, node, {connectTimeoutMs: this.spec.timeout, queryTimeoutMs: this.spec.timeout, onError: () => {}})
      try {
        await client.connect()
        const r = await client.query<{r: boolean}>('SELECT pg_is_in_recovery() AS r')
        if (!r.rows[0]!.r) return client
      } catch {
        // not reachable or not the primary: try the next
      }
      await destroyClient(client)
    }
    throw new Error('no node accepts writes, so no primary to read replication lag from')
  }

  private async drop(): Promise<void> {
    const c = this.client
    this.client = undefined
    if (c) await destroyClient(c)
  }
}
