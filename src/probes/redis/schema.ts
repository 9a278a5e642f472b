import {z} from 'zod'

import {duration, name} from '../../config/common.js'
import {probeRunFields, probeSamplingFields, type ProbeCapabilities} from '../../config/probe-kinds.js'

/** `probe: {kind: redis-write, ...}`: Redis, how the master is found, and the run properties every kind shares. */
export const redisWriteSchema = z.strictObject({
  kind: z.literal('redis-write', {error: 'probe kind must be "redis-write"'}),
  /** The service whose instances the probe writes to: the one that says `master` to ROLE (and that the Sentinels name, with `sentinels`). */
  service: probeRunFields.service,
  port: z.int().min(1).max(65_535).default(6379),
  /** AUTH: a user (Redis 6 ACL) and a password; none by default. */
  user: z.string().min(1, {error: 'user must not be empty'}).optional(),
  password: z.string().optional(),
  /** The logical database the keys go in (SELECT). */
  db: z.int().min(0).max(15).default(0),
  /** Find the master as a Sentinel client does: the first Sentinel of `service` that answers names it (`SENTINEL get-master-addr-by-name master`). */
  sentinels: z
    .strictObject({
      service: name('service name'),
      /** The name the Sentinels monitor the master under. */
      master: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, {error: 'a Sentinel master name is letters, digits, ".", "_" or "-" (at most 64)'}),
      port: z.int().min(1).max(65_535).default(26_379),
    })
    .optional(),
  /** Acknowledged only when this many replicas confirmed the write within `timeout` (WAIT replicas timeout). */
  wait: z
    .strictObject({
      replicas: z.int().min(1, {error: 'wait.replicas must be at least 1'}).max(100),
      /** How long WAIT waits for them; shorter than the probe's timeout, which bounds the whole write. */
      timeout: duration({positive: true}).default(500),
    })
    .optional(),
  ...probeSamplingFields,
}).superRefine((s, ctx) => {
  // The probe's timeout bounds the whole write (SET, then WAIT): a WAIT as long as that could never answer in time.
  if (s.wait && s.wait.timeout >= s.timeout) {
    ctx.addIssue({code: 'custom', path: ['wait', 'timeout'], message: `wait.timeout (${s.wait.timeout} ms) must be shorter than the probe's timeout (${s.timeout} ms), which bounds the whole write`})
  }
})
export type RedisWriteSpec = z.output<typeof redisWriteSchema>

/** Reads its keys back from the master (RPO); no split-brain watch or lag sampling yet. */
export const redisWriteCapabilities: ProbeCapabilities = {rpo: true, splitBrain: false, replicationLag: false}
