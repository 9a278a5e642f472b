import {z} from 'zod'

import type {TargetSelector} from '../model/fault-spec.js'
import {CLUSTER_ROLES} from '../model/vocabulary.js'
import {name} from './common.js'

/** Which containers a step acts on; resolved when the step runs (role: leader is whoever leads then). */
export const targetSchema: z.ZodType<TargetSelector, unknown> = z
  .strictObject({
    service: name('service name').optional(),
    site: name('site name').optional(),
    role: z.enum(CLUSTER_ROLES, {error: `role must be one of: ${CLUSTER_ROLES.join(', ')}`}).optional(),
  })
  .refine((t) => t.service !== undefined || t.site !== undefined, {error: 'a target names at least a service or a site'})
export type {TargetSelector} from '../model/fault-spec.js'
