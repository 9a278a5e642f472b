import type {ProbeKind} from '../probe.js'
import {ReplicationLagWatch} from './lag-watch.js'
import {postgresWriteCapabilities, postgresWriteSchema} from './schema.js'
import {SplitBrainWatch} from './split-brain-watch.js'
import {PostgresWriteProbe} from './write-probe.js'


/**
 * PostgreSQL: one sequence-numbered row per interval through whichever node accepts writes (read back
 * from the primary afterwards: RPO), a split-brain watch writing to every node from inside its site,
 * and standbys' replication lag from the primary's pg_stat_replication. One connection helper for all three.
 */
export const postgresWrite: ProbeKind<typeof postgresWriteSchema> = {
  kind: 'postgres-write',
  schema: postgresWriteSchema,
  capabilities: postgresWriteCapabilities,
  create: (spec, ctx) => new PostgresWriteProbe(spec, ctx.runId, () => ctx.nodes('wan'), ctx.clock),
  splitBrainWatch: (spec, ctx) => new SplitBrainWatch(spec, ctx.runId, () => ctx.nodes('site'), ctx.clock),
  replicationLagWatch: (spec, watch, ctx) => new ReplicationLagWatch(spec, watch.standbys, watch.intervalMs, () => ctx.nodes('wan'), ctx.clock),
}
