/**
 * Secret values never reach evidence, reports, the history or the terminal. A value is secret when it is
 * declared so (the probe's password), or when it is the value of an environment variable, field or
 * `NAME=value` argument whose name says so (PASSWORD, SECRET, TOKEN, ...). Every occurrence of a secret
 * value is replaced, in text and in JSON alike, spelled as written, JSON-escaped, URL-encoded (a
 * connection string) or base64-encoded. Whatever its value, the value after a secret-named `KEY=` or
 * `KEY:` and the password of a URL are replaced too.
 *
 * A secret that is also a public name (the program's, the topology's, a site's, service's, container's or
 * drill's: firedrill prints those in every message and resource name) is replaced only where it stands as
 * a secret (after such a key, in a URL): elsewhere it could not be hidden, and replacing it would garble
 * "topology bank-3site" or "firedrill cleanup".
 */
export const REDACTED = '[redacted]'

/** Names of variables and fields whose values are secret. */
export const SECRET_NAME = /pass(word|wd)?($|_)|secret|token|api_?key|private_?key|credential/i

/** Values shorter than this are not treated as secrets in free text (they would redact half the log). */
const MIN_SECRET_LENGTH = 4

/** A secret-named key, `=` or `:`, and its value (quoted, or up to a space or punctuation that ends it). */
const SECRET_AFTER_KEY = /(?<![A-Za-z0-9_])([A-Za-z_][A-Za-z0-9_.-]*)(["']?(?:=|:[ \t]*))(\[redacted\]|"[^"\n]*"|'[^'\n]*'|[^\s"',;&)\]}]+)/g
/** The password of a URL: scheme://user:PASSWORD@host. */
const URL_PASSWORD = /([A-Za-z][A-Za-z0-9+.-]*:\/\/[^\s:/@]*:)([^\s@/]+)(@)/g

export class Redactor {
  private readonly secrets = new Set<string>()
  private readonly publicNames = new Set<string>()
  /** Every spelling of every secret that is not a public name, longest first. */
  private values: string[] = []
  private pattern: RegExp | undefined

  constructor(values: Iterable<string> = []) {
    for (const v of values) this.add(v)
  }

  add(value: string | undefined): void {
    if (value === undefined || value.length < MIN_SECRET_LENGTH || value === REDACTED || this.secrets.has(value)) return
    this.secrets.add(value)
    this.rebuild()
  }

  /** Names firedrill shows anyway: a secret equal to one is replaced only where it stands as a secret. */
  allowPublic(names: Iterable<string>): void {
    for (const n of names) this.publicNames.add(n)
    this.rebuild()
  }

  private rebuild(): void {
    const values = new Set<string>()
    for (const secret of this.secrets) if (!this.publicNames.has(secret)) for (const spelling of spellings(secret)) values.add(spelling)
    this.values = [...values].sort((a, b) => b.length - a.length)
    this.pattern = undefined
  }

  /** Learn the values of `NAME=value` entries whose name looks secret (container Env lists). */
  learnEnv(entries: Iterable<string>): void {
    for (const entry of entries) {
      const eq = entry.indexOf('=')
      if (eq > 0 && SECRET_NAME.test(entry.slice(0, eq))) this.add(entry.slice(eq + 1))
    }
  }

  /** How many secret values it knows (each in all its spellings). */
  get size(): number {
    return this.secrets.size
  }

  /**
   * Replace the value after a secret-named key and a URL's password, then every secret value standing as
   * a word of its own (not inside a longer name such as io.firedrill.project).
   */
  text(input: string): string {
    let out = input
      .replace(SECRET_AFTER_KEY, (whole, key: string, sep: string, value: string) => {
        const quote = value[0] === '"' || value[0] === "'" ? value[0] : ''
        const inner = quote ? value.slice(1, -1) : value
        if (!SECRET_NAME.test(key) || inner === REDACTED || inner === '') return whole
        return `${key}${sep}${quote}${REDACTED}${quote}`
      })
      .replace(URL_PASSWORD, (whole, before: string, password: string, at: string) => (password === REDACTED ? whole : `${before}${REDACTED}${at}`))
    if (this.values.length === 0) return out
    this.pattern ??= new RegExp(`(?<![A-Za-z0-9_./-])(?:${this.values.map(escapeRegExp).join('|')})(?![A-Za-z0-9_/-])`, 'g')
    out = out.replace(this.pattern, REDACTED)
    return out
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

/** A secret as written, URL-encoded and base64-encoded, and each of those JSON-escaped (so serialized JSON is redacted too). */
function spellings(value: string): Set<string> {
  const forms = new Set([value, encodeURIComponent(value), Buffer.from(value, 'utf8').toString('base64')])
  for (const f of [...forms]) forms.add(JSON.stringify(f).slice(1, -1))
  return forms
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}
