import {z} from 'zod'

import {probeRunFields, probeSamplingFields, type ProbeCapabilities} from '../../config/probe-kinds.js'

/** `probe: {kind: postgres-write, ...}`: where to connect, and the run properties every kind shares. */
export const postgresWriteSchema = z.strictObject({
  kind: z.literal('postgres-write', {error: 'probe kind must be "postgres-write"'}),
  /** The service whose instances the probe writes to; it finds the writable one itself. */
  service: probeRunFields.service,
  port: z.int().min(1).max(65_535).default(5432),
  database: z.string().default('postgres'),
  user: z.string().default('postgres'),
  password: z.string().default(''),
  ...probeSamplingFields,
})
export type PostgresWriteSpec = z.output<typeof postgresWriteSchema>

/** Reads its writes back from the primary (RPO), watches every node for split brain, samples standbys' lag. */
export const postgresWriteCapabilities: ProbeCapabilities = {rpo: true, splitBrain: true, replicationLag: true}
