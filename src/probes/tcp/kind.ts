import type {ProbeKind} from '../probe.js'
import {TcpProbe} from './probe.js'
import {tcpCapabilities, tcpSchema} from './schema.js'

/** TCP: a connection opens (optionally a banner matches). RTO and impact. */
export const tcp: ProbeKind<typeof tcpSchema> = {
  kind: 'tcp',
  schema: tcpSchema,
  capabilities: tcpCapabilities,
  create: (spec, ctx) => new TcpProbe(spec, () => ctx.nodes(spec.vantage), ctx.clock),
}
