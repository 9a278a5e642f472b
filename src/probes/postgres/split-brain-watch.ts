import type pg from 'pg'

import type {PostgresWriteSpec as ProbeSpec} from './schema.js'
import {every, systemClock, withClockTimeout, type Clock} from '../../util/time.js'
import {destroyClient, newClient, SPLIT_BRAIN_TABLE, type ProbeNode} from './connection.js'

export {SPLIT_BRAIN_TABLE} from './connection.js'

/** One write the watch attempted on one node (monotonic ms). */
export interface WatchAck {
  node: string
  start: number
  end: number
}

/**
 * Watches for two primaries at once. Every interval it writes to every node directly, from inside
 * each node's own site (its site-network address), so an isolated old primary is still reached.
 * Acknowledged writes are collected; `splitBrain` (measure/) decides whether two nodes acted as
 * primary in the same period. A write to a node that has not answered yet is not repeated.
 */
/** How often, at most, the watch lists the nodes again while one cannot be reached. */
const RELIST_MS = 1000

export class SplitBrainWatch {
  readonly acks: WatchAck[] = []
  private readonly clients = new Map<string, pg.Client>()
  private readonly busy = new Set<string>()
  private readonly ticking = new AbortController()
  private round = 0
  private nodes: ProbeNode[] = []
  private stopped = false
  /** When the node list was last asked for again (after a write that could not reach its node). */
  private listedAt = Number.NEGATIVE_INFINITY
  private listing?: Promise<void>

  constructor(
    private readonly spec: ProbeSpec,
    private readonly runId: string,
    private readonly resolveNodes: () => Promise<ProbeNode[]>,
    private readonly clock: Clock = systemClock,
  ) {}

  async start(): Promise<void> {
    this.nodes = await this.resolveNodes()
    this.listedAt = this.clock.now()
    void every(this.clock, this.spec.interval, () => this.tick(), this.ticking.signal)
  }

  /**
   * A node that cannot be reached may have come back with another address (a container started again
   * or reconnected gets what its network gives it): list the nodes again, at most once a second, and
   * drop the connection of a node whose address changed. A node not listed (stopped) is left out until
   * it is listed again.
   */
  private relist(): void {
    if (this.stopped || this.listing || this.clock.now() - this.listedAt < RELIST_MS) return
    this.listedAt = this.clock.now()
    this.listing = (async () => {
      const fresh = await this.resolveNodes()
      for (const node of fresh) {
        const old = this.nodes.find((n) => n.name === node.name)
        if (!old || old.address === node.address) continue
        const client = this.clients.get(node.name)
        this.clients.delete(node.name)
        if (client) await destroyClient(client)
      }
      this.nodes = fresh
    })()
      .catch(() => {})
      .finally(() => {
        this.listing = undefined
      })
  }

  async stop(): Promise<void> {
    this.stopped = true
    this.ticking.abort()
    const deadline = this.clock.now() + this.spec.timeout
    while (this.busy.size > 0 && this.clock.now() < deadline) await this.clock.sleep(20)
    await this.listing
    await Promise.all([...this.clients.values()].map((c) => destroyClient(c)))
    this.clients.clear()
  }

  private tick(): void {
    const round = ++this.round
    for (const node of this.nodes) {
      if (this.busy.has(node.name)) continue
      this.busy.add(node.name)
      void this.write(node, round).finally(() => this.busy.delete(node.name))
    }
  }

  private async write(node: ProbeNode, round: number): Promise<void> {
    const start = this.clock.now()
    try {
      const client = await this.client(node)
      const write = client.query(`INSERT INTO ${SPLIT_BRAIN_TABLE} (run_id, round, node) VALUES ($1, $2, $3)`, [this.runId, round, node.name])
      await withClockTimeout(this.clock, write, this.spec.timeout, () => new Error('timeout'))
      this.acks.push({node: node.name, start, end: this.clock.now()})
    } catch (error) {
      // A replica refuses (read-only) and keeps its connection; anything else drops it.
      if ((error as {code?: string}).code !== '25006') {
        const client = this.clients.get(node.name)
        this.clients.delete(node.name)
        if (client) await destroyClient(client)
        this.relist()
      }
    }
  }

  private async client(node: ProbeNode): Promise<pg.Client> {
    const known = this.clients.get(node.name)
    if (known) return known
    const client: pg.Client = await newClient(this.spec, node, {
      connectTimeoutMs: this.spec.timeout,
      applicationName: 'firedrill-split-brain-watch',
      onError: () => {
        if (this.clients.get(node.name) === client) this.clients.delete(node.name)
      },
    })
    await client.connect()
    // Connected after stop() closed the others: it would stay open and keep the process alive.
    if (this.stopped) {
      await destroyClient(client)
      throw new Error('the split-brain watch was stopped')
    }
    this.clients.set(node.name, client)
    return client
  }

}
