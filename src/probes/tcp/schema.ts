import {z} from 'zod'

import {probeRunFields, type ProbeCapabilities} from '../../config/probe-kinds.js'
import {regex, siteOrder} from '../regex.js'

/** `probe: {kind: tcp, service, port}`: a connection opens (and, optionally, the server's first bytes match). */
export const tcpSchema = z.strictObject({
  kind: z.literal('tcp'),
  ...probeRunFields,
  port: z.int({error: 'port must be a whole number from 1 to 65535'}).min(1).max(65_535),
  /** Client-side failover: try the service's instances site by site in this order; default: the topology's order. */
  order: siteOrder.optional(),
  /** The server's first bytes (a greeting: SSH, SMTP, Redis' reply is not one) must match this regular expression. */
  banner: regex('banner').optional(),
})
export type TcpSpec = z.output<typeof tcpSchema>

/** A connection carries no data to read back: RTO and impact only. */
export const tcpCapabilities: ProbeCapabilities = {rpo: false, splitBrain: false, replicationLag: false}
