import {z} from 'zod'

import {DURATION_HINT, parseDuration} from './duration.js'

/** Names end up in Docker resource names, DNS aliases and labels: lower-case letters, digits and dashes only. */
export const NAME_PATTERN = /^[a-z][a-z0-9-]{0,39}$/
export const name = (what: string) =>
  z.string({error: `${what} must be a string`}).regex(NAME_PATTERN, {
    error: `${what} must start with a lower-case letter and hold only a-z, 0-9 and "-" (at most 40 characters)`,
  })

/** A duration in milliseconds, written as `100ms`, `30s`, `2m`… */
export const duration = (opts: {min?: number; positive?: boolean} = {}) =>
  z
    .union([z.string(), z.number()], {error: `expected ${DURATION_HINT}`})
    .transform((raw, ctx) => {
      const ms = parseDuration(raw)
      if (ms === undefined) {
        ctx.addIssue({code: 'custom', message: `"${raw}" is not ${DURATION_HINT}`})
        return z.NEVER
      }
      if (opts.positive && ms <= 0) {
        ctx.addIssue({code: 'custom', message: `must be greater than zero (got "${raw}")`})
        return z.NEVER
      }
      if (opts.min !== undefined && ms < opts.min) {
        ctx.addIssue({code: 'custom', message: `must be at least ${opts.min} ms (got "${raw}")`})
        return z.NEVER
      }
      return ms
    })

/** argv, never a shell string. */
export const argv = (what: string) =>
  z.array(z.string(), {error: `${what} must be a list of arguments (argv), not a shell string`}).min(1, {error: `${what} must not be empty`})
