import {z} from 'zod'

import type {MemberRole, RoleReader} from '../../src/cluster/role-reader.js'
import {probeRunFields} from '../../src/config/probe-kinds.js'
import type {ContainerSummary, Engine} from '../../src/engine/engine.js'
import type {Sample} from '../../src/model/sample.js'
import type {Topology} from '../../src/model/topology.js'
import type {Probe, ProbeContext, ProbeKind} from '../../src/probes/probe.js'
import type {Clock} from '../../src/util/time.js'

/**
 * A clustered topology in memory, for running whole drills without Docker or a database: containers
 * that can be killed and started, a cluster manager that promotes the first standby (not busan's,
 * tagged nofailover in bank-3site) `failoverMs` after the leader's container died, and a table the
 * leader takes writes into. It stands in for the engine, the role reader and the probe's service.
 */
export class FakeCluster {
  readonly running = new Map<string, boolean>()
  /** Sequence numbers the service acknowledged (what a read-back finds). */
  readonly rows = new Set<number>()
  readonly calls: string[] = []
  private leader: string
  private leaderDiedAt?: number
  /** Members that led before a failover: with `restartAsPrimary` one started again takes writes too (no cluster manager). */
  private readonly formerLeaders = new Set<string>()

  constructor(
    private readonly topology: Topology,
    private readonly clock: Clock,
    private readonly opts: {service: string; failoverMs: number; noFailover?: readonly string[]; restartAsPrimary?: boolean},
  ) {
    for (const i of topology.instances) this.running.set(i.containerName, true)
    this.leader = this.members()[0]!.hostname
  }

  private members() {
    return this.topology.instances.filter((i) => i.service === this.opts.service)
  }

  /** The member that takes writes now, if any (promoting a standby once the failover time has passed). */
  writable(): string | undefined {
    const byHost = (h: string) => this.members().find((m) => m.hostname === h)!
    if (this.running.get(byHost(this.leader).containerName)) return this.leader
    if (this.leaderDiedAt !== undefined && this.clock.now() - this.leaderDiedAt >= this.opts.failoverMs) {
      const next = this.members().find((m) => m.hostname !== this.leader && this.running.get(m.containerName) && !this.opts.noFailover?.includes(m.site))
      if (next) {
        this.formerLeaders.add(this.leader)
        this.leader = next.hostname
        this.leaderDiedAt = undefined
        return this.leader
      }
    }
    return undefined
  }

  /** Every running member that takes writes now: the leader, and a former leader started again when it comes back as a primary. */
  writers(): string[] {
    const leader = this.writable()
    const back = this.opts.restartAsPrimary ? [...this.formerLeaders].filter((h) => this.running.get(this.members().find((m) => m.hostname === h)!.containerName)) : []
    return [...new Set([...(leader ? [leader] : []), ...back])]
  }

  engine(): Engine {
    const container = (name: string): ContainerSummary => ({
      id: `id-${name}`,
      name,
      image: 'firedrill/bank-node:15',
      state: this.running.get(name) ? 'running' : 'exited',
      health: this.running.get(name) ? 'healthy' : 'none',
      labels: {'io.firedrill.project': this.topology.project},
      addresses: {[`fd-${this.topology.project}-wan`]: name, ...Object.fromEntries(this.topology.networks.map((n) => [n.name, name]))},
    })
    const byId = (id: string) => id.replace(/^id-/, '')
    const engine = {
      info: async () => ({version: '20.10', apiVersion: '1.41', os: 'linux'}),
      // Network-fault helpers are asked for with a second label: there are none.
      listContainers: async (filters: string[]) => (filters.length > 1 ? [] : [...this.running.keys()].map(container)),
      killContainer: async (id: string, signal: string) => {
        this.calls.push(`kill ${byId(id)} ${signal}`)
        const host = this.members().find((m) => m.containerName === byId(id))?.hostname
        if (host === this.leader) this.leaderDiedAt = this.clock.now()
        this.running.set(byId(id), false)
      },
      startContainer: async (id: string) => {
        this.calls.push(`start ${byId(id)}`)
        this.running.set(byId(id), true)
      },
    }
    return engine as unknown as Engine
  }

  /** Roles as a cluster manager would report them: the leader, then one sync standby, the rest replicas, all streaming. */
  roleReader(): RoleReader {
    return {
      readRoles: async (members) => {
        const leader = this.writable()
        let sync = false
        return new Map<string, MemberRole>(
          members.map((m): [string, MemberRole] => {
            if (m.name === leader) return [m.name, {role: 'leader', state: 'running'}]
            const role = !sync && !this.opts.noFailover?.some((s) => m.name.endsWith(s)) ? 'sync_standby' : 'replica'
            if (role === 'sync_standby') sync = true
            return [m.name, {role, state: 'streaming', streaming: leader !== undefined}]
          }),
        )
      },
      serving: (m) => (m.role === 'leader' ? m.state === 'running' : m.streaming === true),
    }
  }
}

/**
 * A probe kind that writes to a FakeCluster, sample by sample on the run's clock: what a test registers
 * instead of postgres-write. `cluster` is asked when the probe is made (the drill is loaded first).
 */
export function fakeWriteKind(
  cluster: () => FakeCluster,
  kind = 'fake-write',
  capabilities = {rpo: true, splitBrain: false, replicationLag: false},
): ProbeKind<ReturnType<typeof fakeWriteSchema>> {
  return {kind, schema: fakeWriteSchema(kind), capabilities, create: (spec, ctx) => new FakeWriteProbe(cluster(), spec.interval, ctx)}
}

export const fakeWriteSchema = (kind: string) => z.strictObject({kind: z.literal(kind), ...probeRunFields})

class FakeWriteProbe implements Probe {
  readonly samples: Sample[] = []
  private readonly stopping = new AbortController()
  private loop?: Promise<void>

  constructor(
    private readonly cluster: FakeCluster,
    private readonly intervalMs: number,
    private readonly ctx: ProbeContext,
  ) {}

  async start(): Promise<void> {
    if ((await this.ctx.nodes('wan')).length === 0) throw new Error('no node to write to')
    this.loop = this.run()
  }

  private async run(): Promise<void> {
    const clock = this.ctx.clock
    for (let seq = 1; !this.stopping.signal.aborted; seq++) {
      const start = clock.now()
      const node = this.cluster.writable()
      if (node) this.cluster.rows.add(seq)
      this.samples.push(node ? {seq, start, end: start + 2, outcome: 'ok', node} : {seq, start, end: start + 2, outcome: 'failed', error: 'no writable node'})
      await clock.sleep(this.intervalMs, this.stopping.signal).catch(() => {})
    }
  }

  async stop(): Promise<void> {
    this.stopping.abort()
    await this.loop
  }

  async readBack(): Promise<{node: string; seqs: Set<number>} | undefined> {
    const node = this.cluster.writable()
    return node ? {node, seqs: new Set(this.cluster.rows)} : undefined
  }

  async writableNodes(): Promise<string[]> {
    return this.cluster.writers()
  }

  async close(): Promise<void> {}
}
