import type {ProbeKind} from '../probe.js'
import {mysqlWriteCapabilities, mysqlWriteSchema} from './schema.js'
import {MysqlWriteProbe} from './write-probe.js'

/** MySQL / MariaDB: one sequence-numbered row per interval through the node with read_only = 0 (read back afterwards: RPO). */
export const mysqlWrite: ProbeKind<typeof mysqlWriteSchema> = {
  kind: 'mysql-write',
  schema: mysqlWriteSchema,
  capabilities: mysqlWriteCapabilities,
  create: (spec, ctx) => new MysqlWriteProbe(spec, ctx.runId, () => ctx.nodes(spec.vantage), ctx.clock),
}
