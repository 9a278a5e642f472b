/**
 * Secret values never reach evidence or reports. A value is secret when it is declared so (the probe's
 * password), or when it is the value of an environment variable or field whose name says so (PASSWORD,
 * SECRET, TOKEN, ...). Every occurrence of a secret value is replaced, in text and in JSON alike.
 */
export const REDACTED = '[redacted]'

/** Names of variables and fields whose values are secret. */
export const SECRET_NAME = /pass(word|wd)?($|_)|secret|token|api_?key|private_?key|credential/i

/** Values shorter than this are not treated as secrets in free text (they would redact half the log). */
const MIN_SECRET_LENGTH = 4

export class Redactor {
  private readonly values: string[]
  private pattern: RegExp | undefined

  constructor(values: Iterable<string> = []) {
    this.values = []
    for (const v of values) this.add(v)
  }

  add(value: string | undefined): void {
    if (value === undefined || value.length < MIN_SECRET_LENGTH || value === REDACTED || this.values.includes(value)) return
    this.values.push(value)
    // The JSON-escaped spelling too, so redacting serialized JSON finds it.
    const escaped = JSON.stringify(value).slice(1, -1)
    if (escaped !== value) this.values.push(escaped)
    this.values.sort((a, b) => b.length - a.length)
    this.pattern = undefined
  }

  /** Learn the values of `NAME=value` entries whose name looks secret (container Env lists). */
  learnEnv(entries: Iterable<string>): void {
    for (const entry of entries) {
      const eq = entry.indexOf('=')
      if (eq > 0 && SECRET_NAME.test(entry.slice(0, eq))) this.add(entry.slice(eq + 1))
    }
  }

  get size(): number {
    return this.values.length
  }

  /** Replace every secret value standing as a word of its own (not inside a longer name such as io.firedrill.project). */
  text(input: string): string {
    if (this.values.length === 0) return input
    this.pattern ??= new RegExp(`(?<![A-Za-z0-9_./-])(?:${this.values.map(escapeRegExp).join('|')})(?![A-Za-z0-9_/-])`, 'g')
    return input.replace(this.pattern, REDACTED)
  }

  /** A deep copy with secret-named fields and `NAME=value` strings redacted, then every secret value. */
  json<T>(value: T): T {
    return this.walk(value, undefined) as T
  }

  private walk(value: unknown, key: string | undefined): unknown {
    if (typeof value === 'string') {
      if (key !== undefined && SECRET_NAME.test(key) && value !== '') return REDACTED
      const eq = value.indexOf('=')
      if (eq > 0 && /^[A-Za-z_][A-Za-z0-9_]*$/.test(value.slice(0, eq)) && SECRET_NAME.test(value.slice(0, eq))) return `${value.slice(0, eq)}=${REDACTED}`
      return this.text(value)
    }
    if (Array.isArray(value)) return value.map((v) => this.walk(v, undefined))
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.walk(v, k)]))
    }
    return value
  }
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}
