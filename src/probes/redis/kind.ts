import type {ProbeKind} from '../probe.js'
import {redisWriteCapabilities, redisWriteSchema} from './schema.js'
import {RedisWriteProbe} from './write-probe.js'

/** Redis: one sequence-numbered key per interval to the master (ROLE, or the Sentinels' word), optionally WAIT; read back afterwards (RPO). */
export const redisWrite: ProbeKind<typeof redisWriteSchema> = {
  kind: 'redis-write',
  schema: redisWriteSchema,
  capabilities: redisWriteCapabilities,
  create: (spec, ctx) =>
    new RedisWriteProbe(spec, ctx.runId, () => ctx.nodes(spec.vantage), spec.sentinels ? () => ctx.instances(spec.sentinels!.service, spec.vantage) : undefined, ctx.clock),
}
