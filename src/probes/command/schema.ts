import {z} from 'zod'

import {argv} from '../../config/common.js'
import {placeSchema} from '../../config/drill.js'
import {probeRunFields, type ProbeCapabilities} from '../../config/probe-kinds.js'

/**
 * `probe: {kind: command, service, argv, in}`: an argv (never a shell string) run each interval on the
 * host or in the one container `in` picks (a target: {service, site, role}); exit 0 within the timeout is ok.
 * `service` is the service whose recovery it measures (and, without `in`, where it runs: its one instance).
 */
export const commandSchema = z.strictObject({
  kind: z.literal('command'),
  ...probeRunFields,
  argv: argv('argv'),
  in: placeSchema.optional(),
  user: z.string().regex(/^[a-z_][a-z0-9_-]*[$]?$|^\d+(:\d+)?$/, {error: 'user is a user name or uid[:gid]'}).optional(),
})
export type CommandSpec = z.output<typeof commandSchema>

/** A command's exit status carries no data to read back: RTO and impact only. */
export const commandCapabilities: ProbeCapabilities = {rpo: false, splitBrain: false, replicationLag: false}
