import {z} from 'zod'

import {probeRunFields, probeSamplingFields, type ProbeCapabilities} from '../../config/probe-kinds.js'

/** `probe: {kind: mysql-write, ...}`: MySQL or MariaDB, where to connect, and the run properties every kind shares. */
export const mysqlWriteSchema = z.strictObject({
  kind: z.literal('mysql-write', {error: 'probe kind must be "mysql-write"'}),
  /** The service whose instances the probe writes to; it writes to the one with read_only = 0. */
  service: probeRunFields.service,
  port: z.int().min(1).max(65_535).default(3306),
  /** The database the probe's table goes in; it must exist. */
  database: z.string({error: 'database is required (the database the probe\'s table goes in; it must exist)'}).min(1, {error: 'database must not be empty'}).max(64, {error: 'a MySQL database name is at most 64 characters'}),
  /** A user without SUPER (or CONNECTION_ADMIN): read_only does not stop those, so the probe would write to a replica. */
  user: z.string({error: 'user is required (one without SUPER: read_only does not stop SUPER)'}).min(1, {error: 'user must not be empty'}),
  password: z.string().default(''),
  ...probeSamplingFields,
})
export type MysqlWriteSpec = z.output<typeof mysqlWriteSchema>

/** Reads its writes back from the writable node (RPO); no split-brain watch or lag sampling yet. */
export const mysqlWriteCapabilities: ProbeCapabilities = {rpo: true, splitBrain: false, replicationLag: false}
