import type pg from 'pg'

import type {PostgresWriteSpec as ProbeSpec} from './schema.js'
import {errorMessage} from '../../errors.js'
import {systemClock, withClockTimeout, type Clock} from '../../util/time.js'
import {destroyClient, newClient, PROBE_TABLE, SPLIT_BRAIN_TABLE, type ProbeNode} from './connection.js'

export {PROBE_TABLE, type ProbeNode} from './connection.js'
import type {Sample} from '../../model/sample.js'


/** SQLSTATE classes after which a write may still have committed (the server went away around the commit). */
const UNCERTAIN_SQLSTATE_CLASSES = new Set(['08', '57', '58', 'XX'])
/** How long a connection attempt may wait for a node that does not answer (never less than the probe's timeout). */
const CONNECT_PATIENCE_MS = 5000
/** How long start() looks for a node that accepts writes before the drill is aborted. */
const START_PATIENCE_MS = 30_000

interface NodeConnection {
  node: ProbeNode
  client?: pg.Client
  connecting?: Promise<void>
  /** The client of the connection attempt in progress (closed with the probe). */
  pending?: pg.Client
  /** A pg_is_in_recovery() question in flight on `client`. */
  rechecking?: Promise<void>
  /** Known to accept writes (checked with pg_is_in_recovery on connect and after every error). */
  writable: boolean
  lastError?: string
}

/**
 * Writes one sequence-numbered row at a fixed interval to whichever node accepts writes,
 * following a failover on its own: it keeps a connection to every node, and when the writable
 * one is lost it asks the others, without waiting on a dead node's connect timeout.
 */
export class PostgresWriteProbe {
  readonly samples: Sample[] = []
  private readonly nodes = new Map<string, NodeConnection>()
  private loop?: Promise<void>
  private stopping = false
  private closed = false
  private wake?: () => void
  private seq = 0
  /** Why the nodes could not be listed last time (the engine gone); samples fail with it rather than the probe stopping. */
  private listError?: string

  constructor(
    private readonly spec: ProbeSpec,
    private readonly runId: string,
    private readonly resolveNodes: () => Promise<ProbeNode[]>,
    private readonly clock: Clock = systemClock,
    private readonly onSample: (sample: Sample) => void = () => {},
  ) {}

  /** Prepare the table on the current primary and start writing. */
  async start(): Promise<void> {
    await this.refreshNodes()
    // Right after a failover or a heal the leader may still be coming up read-write: ask again for a while.
    const until = this.clock.now() + Math.max(this.spec.timeout * 5, START_PATIENCE_MS)
    let primary = await this.findWritable(this.spec.timeout * 5)
    while (!primary && !this.closed && this.clock.now() < until) {
      await this.clock.sleep(Math.min(500, until - this.clock.now()))
      primary = await this.findWritable(this.spec.timeout * 5)
    }
    if (!primary) throw new Error(`no node of service ${this.spec.service} accepts writes: ${this.describeNodes()}`)
    await primary.client!.query(
      `CREATE TABLE IF NOT EXISTS ${PROBE_TABLE} (run_id text NOT NULL, seq bigint NOT NULL, written_at timestamptz NOT NULL DEFAULT clock_timestamp(), PRIMARY KEY (run_id, seq))`,
    )
    await primary.client!.query(
      `CREATE TABLE IF NOT EXISTS ${SPLIT_BRAIN_TABLE} (run_id text NOT NULL, round bigint NOT NULL, node text NOT NULL, written_at timestamptz NOT NULL DEFAULT clock_timestamp())`,
    )
    this.loop = this.run()
  }

  /** Finish the sample in flight and stop. */
  async stop(): Promise<void> {
    this.stopping = true
    this.wake?.()
    await this.loop
  }

  /** Every sequence number present on the node that accepts writes now, or undefined when none does. */
  async readBack(timeoutMs: number): Promise<{node: string; seqs: Set<number>} | undefined> {
    await this.refreshNodes()
    const primary = await this.findWritable(timeoutMs)
    if (!primary?.client) return undefined
    const result = await primary.client.query<{seq: string}>(`SELECT seq FROM ${PROBE_TABLE} WHERE run_id = $1`, [this.runId])
    return {node: primary.node.name, seqs: new Set(result.rows.map((r) => Number(r.seq)))}
  }

  /**
   * Close every connection, those still being made too: one that completed after this would stay
   * open (to a cut-off node, for good) and keep the process from exiting.
   */
  async close(): Promise<void> {
    this.closed = true
    await Promise.all(
      [...this.nodes.values()].map(async (n) => {
        const pending = n.pending
        n.pending = undefined
        await Promise.all([this.drop(n), pending && destroyClient(pending)])
      }),
    )
  }

  private async run(): Promise<void> {
    const interval = this.spec.interval
    let next = this.clock.now()
    while (!this.stopping) {
      const sample = await this.sampleOnce(next + interval)
      this.samples.push(sample)
      this.onSample(sample)
      next += interval
      // A sample that overran (a write timing out) skips the ticks it covered rather than bunching
      // samples up; one a little late for its tick (timers under load) starts at once, on the same grid,
      // so that samples stay one interval apart while no node accepts writes (bench/rto-accuracy.js).
      const late = this.clock.now() - next
      if (late > interval / 2) next += Math.ceil(late / interval) * interval
      const wait = new AbortController()
      this.wake = () => wait.abort()
      await this.clock.sleep(Math.max(0, next - this.clock.now()), wait.signal).catch(() => {})
    }
  }

  /** One write; `nextTick` is when the next sample is due: looking for a writable node stops just before it. */
  private async sampleOnce(nextTick: number): Promise<Sample> {
    const seq = ++this.seq
    const start = this.clock.now()
    const deadline = start + this.spec.timeout
    const margin = Math.min(2, this.spec.interval / 5)
    const conn = await this.findWritable(Math.max(0, Math.min(nextTick - margin - start, this.spec.timeout)))
    if (!conn?.client) {
      return {seq, start, end: this.clock.now(), outcome: 'failed', error: `no writable node: ${this.describeNodes()}`}
    }
    const client = conn.client
    try {
      const write = client.query(`INSERT INTO ${PROBE_TABLE} (run_id, seq) VALUES ($1, $2)`, [this.runId, seq])
      await withClockTimeout(this.clock, write, Math.max(1, deadline - this.clock.now()), () => new ProbeTimeout())
      return {seq, start, end: this.clock.now(), outcome: 'ok', node: conn.node.name}
    } catch (error) {
      const end = this.clock.now()
      const outcome = classifyWriteError(error)
      conn.writable = false
      if (outcome === 'indeterminate') await this.drop(conn)
      else void this.recheck(conn)
      return {seq, start, end, outcome, node: conn.node.name, error: errorMessage(error)}
    }
  }

  /**
   * The node that accepts writes, waiting at most `waitMs` for connections in progress.
   * Connections to other nodes keep going in the background for the next sample.
   */
  private async findWritable(waitMs: number): Promise<NodeConnection | undefined> {
    const writable = () => [...this.nodes.values()].find((n) => n.writable && n.client)
    const found = writable()
    if (found) return found
    if ([...this.nodes.values()].every((n) => !n.client && !n.connecting)) {
      await this.refreshNodes().then(
        () => (this.listError = undefined),
        (error: unknown) => (this.listError = errorMessage(error)),
      )
    }
    const attempts = [...this.nodes.values()].map((n) => (n.client ? this.recheck(n) : this.connect(n)))
    const waited = new AbortController()
    const deadline = this.clock.sleep(waitMs, waited.signal).catch(() => {})
    const anyWritable = Promise.all(attempts.map((a) => a.then(() => (writable() ? Promise.reject(new Error('found')) : undefined)))).catch(() => {})
    await Promise.race([anyWritable, deadline])
    waited.abort()
    return writable()
  }

  private connect(n: NodeConnection): Promise<void> {
    if (this.closed) return Promise.resolve()
    n.connecting ??= (async () => {
      const client: pg.Client = newClient(this.spec, n.node, {
        // Patient with a node that took the connection but does not answer (frozen, overloaded): a
        // new attempt would only queue behind this one, and every attempt given up on is one more
        // dead connection the node must work through when it comes back before it reaches the live
        // one (bench/rto-accuracy.js). A node that refuses or is unreachable fails fast regardless.
        connectTimeoutMs: Math.max(this.spec.timeout, CONNECT_PATIENCE_MS),
        applicationName: 'firedrill-probe',
        onError: (error) => {
          n.lastError = errorMessage(error)
          n.writable = false
          if (n.client === client) n.client = undefined
          client.end().catch(() => {})
        },
      })
      n.pending = client
      try {
        await client.connect()
        if (this.closed) throw new Error('the probe was closed')
        n.client = client
        await this.recheck(n)
      } catch (error) {
        n.lastError = errorMessage(error)
        n.writable = false
        void destroyClient(client)
      } finally {
        if (n.pending === client) n.pending = undefined
        n.connecting = undefined
      }
    })()
    return n.connecting
  }

  /** Ask the node whether it accepts writes; one question at a time per connection (a client runs one query at a time). */
  private recheck(n: NodeConnection): Promise<void> {
    n.rechecking ??= this.askWritable(n).finally(() => {
      n.rechecking = undefined
    })
    return n.rechecking
  }

  private async askWritable(n: NodeConnection): Promise<void> {
    const client = n.client
    if (!client) return
    try {
      const result = await client.query<{recovery: boolean}>('SELECT pg_is_in_recovery() AS recovery')
      n.writable = result.rows[0]?.recovery === false
      n.lastError = n.writable ? undefined : 'read-only (in recovery)'
    } catch (error) {
      n.lastError = errorMessage(error)
      await this.drop(n)
    }
  }

  private async drop(n: NodeConnection): Promise<void> {
    const client = n.client
    n.client = undefined
    n.writable = false
    if (client) await destroyClient(client)
  }

  private async refreshNodes(): Promise<void> {
    const nodes = await this.resolveNodes()
    for (const node of nodes) {
      const known = this.nodes.get(node.name)
      if (known && known.node.address === node.address) continue
      if (known) await this.drop(known)
      this.nodes.set(node.name, {node, writable: false})
    }
  }

  private describeNodes(): string {
    const nodes = [...this.nodes.values()].map((n) => `${n.node.name}: ${n.lastError ?? (n.connecting ? 'connecting' : 'no answer')}`).join(', ')
    return this.listError ? `${nodes}${nodes ? '; ' : ''}nodes could not be listed: ${this.listError}` : nodes
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

class ProbeTimeout extends Error {
  constructor() {
    super('no answer before the probe timeout')
  }
}
