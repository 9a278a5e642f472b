import {errorMessage} from '../errors.js'
import type {Sample} from '../model/sample.js'
import {systemClock, withClockTimeout, type Clock} from '../util/time.js'
import type {ProbeNode} from './probe.js'

/** How long a connection attempt may wait for a node that does not answer (never less than the probe's timeout). */
export const CONNECT_PATIENCE_MS = 5000
/** How long start() looks for a node that accepts writes before the drill is aborted. */
const START_PATIENCE_MS = 30_000
/** While no node takes writes, how often at most the nodes are listed again though connections are open. */
const RELIST_MS = 1000

/**
 * What a write probe needs from one database's client library: the rest (finding the writable node,
 * following a failover, pacing, classifying, reading back) is the same for every system and lives in
 * WriteFollower. `C` is one connection to one node.
 */
export interface WriteDriver<C> {
  /**
   * A client for one node, not yet connected (its endpoint, `endpointOf(node, port)`, may take a moment
   * the first time through a relay); `onLost` sees what a live connection raises when its node goes away.
   */
  client(node: ProbeNode, opts: {connectTimeoutMs: number; onLost: (error: Error) => void}): Promise<C>
  connect(client: C): Promise<void>
  /** Close a client at once, even one whose node never answers. */
  destroy(client: C): Promise<void>
  /** Whether the node behind this connection accepts writes now; `why` says why not, for people. Throws when the connection is broken. */
  writable(client: C): Promise<{writable: boolean; why?: string}>
  /** Prepare what the writes need (a table), on the writable node, once. */
  prepare(client: C): Promise<void>
  /** One sequence-numbered write; resolves only when it is acknowledged the system's own way. */
  write(client: C, runId: string, seq: number): Promise<void>
  /**
   * What an error on a write that was sent says about it: `failed` only when the system answered an
   * error before anything could apply; `indeterminate` when it may have applied (a timeout, a reset).
   */
  classify(error: unknown): 'failed' | 'indeterminate'
  /** Every sequence number of this run present on the node behind this connection. */
  readBack(client: C, runId: string): Promise<Set<number>>
}

/** The run properties a write follower reads from its kind's spec. */
export interface FollowerSpec {
  service: string
  interval: number
  timeout: number
}

interface NodeConnection<C> {
  node: ProbeNode
  client?: C
  connecting?: Promise<void>
  /** The client of the connection attempt in progress (closed with the probe). */
  pending?: C
  /** A writable? question in flight on `client`. */
  rechecking?: Promise<void>
  /** Known to accept writes (asked on connect and after every error). */
  writable: boolean
  lastError?: string
  /**
   * No longer listed (its container stopped): never dialled again under this entry. Its address is
   * free and may be given to another node (a container reconnected to a network), whose answers must
   * not be taken for this node's.
   */
  gone?: boolean
}

/** A write that got no answer in time: it may have applied. */
export class ProbeTimeout extends Error {
  constructor() {
    super('no answer before the probe timeout')
  }
}

/**
 * Writes one sequence-numbered record at a fixed interval to whichever node accepts writes,
 * following a failover on its own: it keeps a connection to every node, and when the writable
 * one is lost it asks the others, without waiting on a dead node's connect timeout. One class for
 * every write probe kind (PostgreSQL, MySQL, Redis); each kind gives its WriteDriver.
 */
export class WriteFollower<C> {
  readonly samples: Sample[] = []
  private readonly nodes = new Map<string, NodeConnection<C>>()
  private loop?: Promise<void>
  private stopping = false
  private closed = false
  private wake?: () => void
  private seq = 0
  /** Why the nodes could not be listed last time (the engine gone); samples fail with it rather than the probe stopping. */
  private listError?: string
  /** When the nodes were last listed, and the listing in progress in the background, if any. */
  private listedAt = Number.NEGATIVE_INFINITY
  private relisting?: Promise<void>

  constructor(
    private readonly driver: WriteDriver<C>,
    private readonly spec: FollowerSpec,
    private readonly runId: string,
    private readonly resolveNodes: () => Promise<ProbeNode[]>,
    private readonly clock: Clock = systemClock,
    private readonly onSample: (sample: Sample) => void = () => {},
  ) {}

  /** Prepare on the current writable node and start writing. */
  async start(): Promise<void> {
    await this.refreshNodes()
    // Right after a failover or a heal the leader may still be coming up read-write: ask again for a while.
    const until = this.clock.now() + Math.max(this.spec.timeout * 5, START_PATIENCE_MS)
    let primary = await this.findWritable(this.spec.timeout * 5)
    while (!primary && !this.closed && this.clock.now() < until) {
      await this.clock.sleep(Math.min(500, until - this.clock.now()))
      primary = await this.findWritable(this.spec.timeout * 5)
    }
    if (!primary?.client) throw new Error(`no node of service ${this.spec.service} accepts writes: ${this.describeNodes()}`)
    await this.driver.prepare(primary.client)
    this.loop = this.run()
  }

  /** Finish the sample in flight and stop. */
  async stop(): Promise<void> {
    this.stopping = true
    this.wake?.()
    await this.loop
  }

  /**
   * Every sequence number present on the node that accepts writes now, or undefined when none does.
   * When several do (a plain primary restarted beside the promoted one), the recovered primary is the
   * one that acknowledged the probe's last write, if it still takes writes: the old one holds writes
   * the service lost.
   */
  async readBack(timeoutMs: number): Promise<{node: string; seqs: Set<number>} | undefined> {
    await this.refreshNodes()
    const found = await this.findWritable(timeoutMs)
    if (!found?.client) return undefined
    const last = this.samples.findLast((s) => s.outcome === 'ok')?.node
    const lastConn = last === undefined ? undefined : this.nodes.get(last)
    let primary = found
    if (lastConn && lastConn !== found) {
      const waited = new AbortController()
      await Promise.race([lastConn.client ? this.recheck(lastConn) : this.connect(lastConn), this.clock.sleep(timeoutMs, waited.signal).catch(() => {})])
      waited.abort()
      if (lastConn.client && lastConn.writable) primary = lastConn
    }
    return {node: primary.node.name, seqs: await this.driver.readBack(primary.client!, this.runId)}
  }

  /**
   * Every node that says it accepts writes now, asking each the probe can reach (waiting at most
   * `timeoutMs` for connections): two or more is two writable nodes. Undefined when none answered.
   */
  async writableNodes(timeoutMs: number): Promise<string[] | undefined> {
    await this.refreshNodes().catch(() => {})
    const all = [...this.nodes.values()].filter((n) => !n.gone)
    const waited = new AbortController()
    await Promise.race([Promise.all(all.map((n) => (n.client ? this.recheck(n) : this.connect(n)))), this.clock.sleep(timeoutMs, waited.signal).catch(() => {})])
    waited.abort()
    if (all.every((n) => !n.client)) return undefined
    return all.filter((n) => n.client && n.writable).map((n) => n.node.name)
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
        await Promise.all([this.drop(n), pending && this.driver.destroy(pending)])
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
    try {
      const write = this.driver.write(conn.client, this.runId, seq)
      await withClockTimeout(this.clock, write, Math.max(1, deadline - this.clock.now()), () => new ProbeTimeout())
      return {seq, start, end: this.clock.now(), outcome: 'ok', node: conn.node.name}
    } catch (error) {
      const end = this.clock.now()
      const outcome = error instanceof ProbeTimeout ? 'indeterminate' : this.driver.classify(error)
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
  private async findWritable(waitMs: number): Promise<NodeConnection<C> | undefined> {
    const writable = () => [...this.nodes.values()].find((n) => n.writable && n.client && !n.gone)
    const found = writable()
    if (found) return found
    if ([...this.nodes.values()].every((n) => !n.client && !n.connecting)) await this.relist()
    // Nothing takes writes, yet a connection is open or being made: it may be to an address its node no
    // longer has (a container reconnected to a network gets a new one, and the old socket just goes quiet).
    // List the nodes again in the background, at most once a second, for the samples that follow.
    else if (this.clock.now() - this.listedAt >= RELIST_MS) void this.relist()
    const attempts = [...this.nodes.values()].filter((n) => !n.gone).map((n) => (n.client ? this.recheck(n) : this.connect(n)))
    const waited = new AbortController()
    const deadline = this.clock.sleep(waitMs, waited.signal).catch(() => {})
    const anyWritable = Promise.all(attempts.map((a) => a.then(() => (writable() ? Promise.reject(new Error('found')) : undefined)))).catch(() => {})
    await Promise.race([anyWritable, deadline])
    waited.abort()
    return writable()
  }

  private connect(n: NodeConnection<C>): Promise<void> {
    if (this.closed || n.gone) return Promise.resolve()
    n.connecting ??= (async () => {
      const client: C = await this.driver.client(n.node, {
        // Patient with a node that took the connection but does not answer (frozen, overloaded): a
        // new attempt would only queue behind this one, and every attempt given up on is one more
        // dead connection the node must work through when it comes back before it reaches the live
        // one (bench/rto-accuracy.js). A node that refuses or is unreachable fails fast regardless.
        connectTimeoutMs: Math.max(this.spec.timeout, CONNECT_PATIENCE_MS),
        onLost: (error) => {
          n.lastError = errorMessage(error)
          n.writable = false
          if (n.client === client) n.client = undefined
          void this.driver.destroy(client)
        },
      })
      n.pending = client
      try {
        await this.driver.connect(client)
        if (this.closed) throw new Error('the probe was closed')
        if (n.gone) throw new Error(`${n.node.name} is no longer listed`)
        n.client = client
        await this.recheck(n)
      } catch (error) {
        n.lastError = errorMessage(error)
        n.writable = false
        if (n.client === client) n.client = undefined
        void this.driver.destroy(client)
      } finally {
        if (n.pending === client) n.pending = undefined
        n.connecting = undefined
      }
    })()
    return n.connecting
  }

  /** Ask the node whether it accepts writes; one question at a time per connection. */
  private recheck(n: NodeConnection<C>): Promise<void> {
    n.rechecking ??= this.askWritable(n).finally(() => {
      n.rechecking = undefined
    })
    return n.rechecking
  }

  private async askWritable(n: NodeConnection<C>): Promise<void> {
    const client = n.client
    if (!client) return
    try {
      const answer = await this.driver.writable(client)
      n.writable = answer.writable
      n.lastError = answer.writable ? undefined : (answer.why ?? 'read-only')
    } catch (error) {
      n.lastError = errorMessage(error)
      await this.drop(n)
    }
  }

  private async drop(n: NodeConnection<C>): Promise<void> {
    const client = n.client
    n.client = undefined
    n.writable = false
    if (client) await this.driver.destroy(client)
  }

  /** List the nodes again (one listing at a time); a failure is kept as the reason samples fail. */
  private relist(): Promise<void> {
    const listing = (this.relisting ??= this.refreshNodes()
      .then(
        () => {
          this.listError = undefined
        },
        (error: unknown) => {
          this.listError = errorMessage(error)
        },
      )
      .finally(() => {
        this.relisting = undefined
      }))
    return listing
  }

  private async refreshNodes(): Promise<void> {
    this.listedAt = this.clock.now()
    const nodes = await this.resolveNodes()
    // Closed meanwhile: nothing is dialled any more, and nothing listed now would be closed.
    if (this.closed) return
    const listed = new Set(nodes.map((n) => n.name))
    for (const [name, known] of this.nodes) {
      if (listed.has(name) || known.gone) continue
      known.gone = true
      known.lastError = 'not running'
      await this.drop(known)
    }
    for (const node of nodes) {
      const known = this.nodes.get(node.name)
      if (known && !known.gone && known.node.address === node.address) continue
      if (known) await this.drop(known)
      this.nodes.set(node.name, {node, writable: false})
    }
  }

  private describeNodes(): string {
    const nodes = [...this.nodes.values()].map((n) => `${n.node.name}: ${n.lastError ?? (n.connecting ? 'connecting' : 'no answer')}`).join(', ')
    return this.listError ? `${nodes}${nodes ? '; ' : ''}nodes could not be listed: ${this.listError}` : nodes
  }
}
