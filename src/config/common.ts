import {z} from 'zod'

import {CIDR_PATTERN, networkAddress, parseCidr} from '../util/cidr.js'
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

export const MIB = 1024 * 1024
export const GIB = 1024 * MIB
const SIZE_UNITS: Record<string, number> = {b: 1, k: 1024, kb: 1000, kib: 1024, m: MIB, mb: 1e6, mib: MIB, g: GIB, gb: 1e9, gib: GIB}
const SIZE_HINT = 'a size such as 64MiB, 512MiB or 2GiB'

/** A size in bytes, written as `64MiB`, `2GiB`, `500MB`; a bare number is bytes. */
export const size = () =>
  z.union([z.string(), z.number()], {error: `expected ${SIZE_HINT}`}).transform((raw, ctx) => {
    const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(String(raw))
    const unit = SIZE_UNITS[(match?.[2] || 'b').toLowerCase()]
    if (!match || unit === undefined || Number(match[1]) <= 0) {
      ctx.addIssue({code: 'custom', message: `"${raw}" is not ${SIZE_HINT}`})
      return z.NEVER
    }
    return Math.round(Number(match[1]) * unit)
  })

const SUBNET_HINT = 'an IPv4 subnet in CIDR notation such as 10.213.1.0/24'

/** An IPv4 subnet, written as its network address and prefix length (`10.213.1.0/24`, not `10.213.1.7/24`). */
export const subnet = () =>
  z
    .string({error: `expected ${SUBNET_HINT}`})
    .regex(CIDR_PATTERN, {error: (issue) => `"${String(issue.input)}" is not ${SUBNET_HINT}`})
    .refine(
      (raw) => {
        const network = parseCidr(raw)
        return network === undefined || networkAddress(network) === raw
      },
      {error: (issue) => `"${String(issue.input)}" is not the address of its network (host bits are set): write ${networkAddress(parseCidr(String(issue.input))!)}`},
    )
