import {z} from 'zod'

import {CIDR_PATTERN, networkAddress, parseCidr} from '../util/cidr.js'
import {MAX_TIMER_MS} from '../util/time.js'
import {DURATION_HINT, parseDuration} from './duration.js'

/** Names end up in Docker resource names, DNS aliases and labels: lower-case letters, digits and dashes only. */
export const NAME_PATTERN = /^[a-z][a-z0-9-]{0,39}$/
export const name = (what: string) =>
  z.string({error: `${what} must be a string`}).regex(NAME_PATTERN, {
    error: `${what} must start with a lower-case letter and hold only a-z, 0-9 and "-" (at most 40 characters)`,
  })

export {MAX_TIMER_MS}

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
      if (ms > MAX_TIMER_MS) {
        ctx.addIssue({code: 'custom', message: `must be at most 24 days, the longest wait Node.js timers keep (got "${raw}"; a longer one would fire at once)`})
        return z.NEVER
      }
      return ms
    })

/** A string the kernel can pass as an argument, environment value or path: no NUL byte (execve and every path call stop at it). */
export const noNul = (what: string) => z.string({error: `${what} must be a string`}).refine((s) => !s.includes('\0'), {error: `${what} must not hold a NUL byte`})

/** argv, never a shell string. */
export const argv = (what: string) =>
  z.array(noNul(`each argument of ${what}`), {error: `${what} must be a list of arguments (argv), not a shell string`})
    .min(1, {error: `${what} must not be empty`})
    .refine((a) => a[0] !== '', {error: `${what}: the program (its first argument) must not be empty`})

/** An exit status a process can have: 0-255 (any other can never be seen, so a step expecting it could never pass). */
export const exitStatus = (what: string) =>
  z.int({error: `${what} must be a whole number`}).min(0, {error: `${what} must be an exit status, 0 to 255`}).max(255, {error: `${what} must be an exit status, 0 to 255`})

/** The signals Linux knows by name (`kill -l`): the engine and pkill refuse any other. */
export const LINUX_SIGNALS = [
  'SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGILL', 'SIGTRAP', 'SIGABRT', 'SIGIOT', 'SIGBUS', 'SIGFPE', 'SIGKILL', 'SIGUSR1', 'SIGSEGV', 'SIGUSR2', 'SIGPIPE', 'SIGALRM',
  'SIGTERM', 'SIGSTKFLT', 'SIGCHLD', 'SIGCONT', 'SIGSTOP', 'SIGTSTP', 'SIGTTIN', 'SIGTTOU', 'SIGURG', 'SIGXCPU', 'SIGXFSZ', 'SIGVTALRM', 'SIGPROF', 'SIGWINCH',
  'SIGIO', 'SIGPOLL', 'SIGPWR', 'SIGSYS',
] as const
const SIGNAL = /^SIG[A-Z0-9]+([+-][0-9]+)?$/
const REALTIME_SIGNAL = /^SIGRTM(IN(\+([1-9]|1[0-5]))?|AX(-([1-9]|1[0-5]))?)$/
/** A signal by its Linux name (SIGKILL, SIGTERM, SIGRTMIN+3): what `docker kill --signal` and `pkill --signal` take. */
export const signalName = () =>
  z
    .string()
    .regex(SIGNAL, {error: 'signal must be a name such as SIGKILL or SIGTERM'})
    .refine((s) => (LINUX_SIGNALS as readonly string[]).includes(s) || REALTIME_SIGNAL.test(s), {error: (issue) => `${String(issue.input)} is not a Linux signal (kill -l lists them: SIGKILL, SIGTERM, SIGINT, SIGHUP, SIGUSR1…)`})

/** A user inside a container, as Docker takes it: a name or a uid, optionally :group or :gid. */
export const containerUser = (what = 'user') =>
  z.string().regex(/^([a-z_][a-z0-9_.-]{0,31}|\d+)(:([a-z_][a-z0-9_.-]{0,31}|\d+))?$/i, {error: `${what} must be a user name or uid, optionally :group or :gid (such as postgres or 999:999)`})

/** An absolute path inside a container, with no `..` (it must name where it says) and no NUL byte. */
export const containerPath = (what: string) =>
  noNul(what)
    .refine((p) => p.startsWith('/'), {error: `${what} must be an absolute path inside the container`})
    .refine((p) => !p.split('/').includes('..'), {error: `${what} must not go up with ".."`})

/** A regular expression JavaScript compiles (checked when the file is read, not when the step runs). */
export const regex = (what: string) =>
  z.string().superRefine((source, ctx) => {
    try {
      new RegExp(source)
    } catch (error) {
      ctx.addIssue({code: 'custom', message: `${what} is not a valid regular expression: ${(error as Error).message.replace(/^Invalid regular expression: /, '')}`})
    }
  })

/** An environment variable's name: what execve passes on (no "=", no NUL, not empty). */
export const envName = () => z.string().regex(/^[^=\0]+$/, {error: 'an environment variable name must not be empty or hold "=" or a NUL byte'})

/**
 * An image reference as the engine parses it (distribution/reference): [registry[:port]/]path[:tag][@digest],
 * path components lower-case. A reference the engine would refuse is refused here.
 */
const COMPONENT = '[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*'
const DOMAIN = '(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\\.(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?))*(?::[0-9]+)?'
export const IMAGE_REFERENCE = new RegExp(`^(?:${DOMAIN}/)?${COMPONENT}(?:/${COMPONENT})*(?::[\\w][\\w.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$`)
export const imageReference = () =>
  z.string().min(1).max(255, {error: 'an image reference is at most 255 characters'}).regex(IMAGE_REFERENCE, {
    error: (issue) => `"${String(issue.input)}" is not an image reference the engine takes: [registry/]name[:tag][@sha256:digest], the name in lower case (such as firedrill/bank-node:15)`,
  })

/** A DNS name a container can be given as its hostname: labels of a-z, 0-9 and "-", at most 63 characters in all (the kernel's limit is 64 with its NUL). */
export const HOSTNAME_PATTERN = /^(?=.{1,63}$)[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/i

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
