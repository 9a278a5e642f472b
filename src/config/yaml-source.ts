import {readFileSync, statSync} from 'node:fs'
import {createHash} from 'node:crypto'
import {isMap, isPair, isScalar, LineCounter, parseDocument, type Document, type Node} from 'yaml'
import type {z} from 'zod'

import {ConfigError, type ConfigIssue} from '../errors.js'

/** Larger inputs are refused before parsing: no drill or topology needs this much. */
export const MAX_CONFIG_BYTES = 1024 * 1024
/** Bounds YAML alias expansion ("billion laughs"). */
const MAX_ALIAS_COUNT = 100

export interface ParseOptions {
  merge?: boolean
}

/** A parsed YAML file that can still say where each value came from. */
export class YamlSource {
  private constructor(
    readonly file: string,
    readonly text: string,
    readonly doc: Document.Parsed,
    private readonly lines: LineCounter,
    readonly value: unknown,
  ) {}

  /** `merge`: read `<<` merge keys (YAML 1.1, as docker-compose files use them); drill and topology files have none. */
  static read(file: string, opts: ParseOptions = {}): YamlSource {
    let text: string
    try {
      const size = statSync(file).size
      if (size > MAX_CONFIG_BYTES) {
        throw new ConfigError([{file, field: '', message: `file is ${size} bytes; the limit is ${MAX_CONFIG_BYTES}`}])
      }
      text = readFileSync(file, 'utf8')
    } catch (error) {
      if (error instanceof ConfigError) throw error
      const code = (error as NodeJS.ErrnoException).code
      const reason = code === 'ENOENT' ? 'file not found' : code === 'EISDIR' ? 'is a directory, not a file' : (error as Error).message
      throw new ConfigError([{file, field: '', message: reason}])
    }
    return YamlSource.parse(file, text, opts)
  }

  static parse(file: string, text: string, opts: ParseOptions = {}): YamlSource {
    const lines = new LineCounter()
    const doc = parseDocument(text, {lineCounter: lines, uniqueKeys: true, prettyErrors: false, strict: true, merge: opts.merge ?? false})
    const issues: ConfigIssue[] = doc.errors.map((e) => {
      const pos = lines.linePos(e.pos[0])
      return {file, line: pos.line, column: pos.col, field: '', message: `YAML: ${firstLine(e.message)}`}
    })
    if (issues.length > 0) throw new ConfigError(issues)
    let value: unknown
    try {
      value = doc.toJS({maxAliasCount: MAX_ALIAS_COUNT})
    } catch (error) {
      throw new ConfigError([{file, field: '', message: `YAML: ${firstLine((error as Error).message)}`}])
    }
    if (value === null || value === undefined) throw new ConfigError([{file, line: 1, field: '', message: 'file is empty'}])
    if (typeof value !== 'object' || Array.isArray(value)) {
      throw new ConfigError([{file, line: 1, column: 1, field: '', message: `expected a mapping of fields at the top level, found ${Array.isArray(value) ? 'a list' : typeof value}`}])
    }
    return new YamlSource(file, text, doc, lines, value)
  }

  get sha256(): string {
    return createHash('sha256').update(this.text).digest('hex')
  }

  /** Where a path points in the file; falls back to the nearest ancestor that exists. */
  locate(path: readonly PropertyKey[], opts: {key?: string} = {}): {line?: number; column?: number} {
    for (let depth = path.length; depth >= 0; depth--) {
      const node = depth === 0 ? this.doc.contents : (this.doc.getIn(path.slice(0, depth) as unknown[], true) as Node | undefined)
      if (!node) continue
      let range = node.range
      if (opts.key !== undefined && depth === path.length && isMap(node)) {
        const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === opts.key)
        const keyNode = pair && isScalar(pair.key) ? pair.key : undefined
        if (keyNode?.range) range = keyNode.range
      }
      if (range) {
        const pos = this.lines.linePos(range[0])
        return {line: pos.line, column: pos.col}
      }
    }
    return {}
  }

  /** An issue at `path`; with `key`, `path` is the mapping and the issue points at that key in it. */
  issue(path: readonly PropertyKey[], message: string, opts: {key?: string} = {}): ConfigIssue {
    const field = opts.key === undefined ? path : [...path, opts.key]
    return {file: this.file, ...this.locate(path, opts), field: formatPath(field), message}
  }

  /** Validate the whole document against a schema; every problem is reported, each with its line. */
  check<T extends z.ZodType>(schema: T): z.output<T> {
    const result = schema.safeParse(this.value)
    if (result.success) return result.data
    throw new ConfigError(this.zodIssues(result.error.issues, schema))
  }

  /** zod's issues as ConfigIssues; `schema` (the one checked at `prefix`) lets unknown fields get a "did you mean". */
  zodIssues(issues: readonly z.core.$ZodIssue[], schema?: z.ZodType, prefix: readonly PropertyKey[] = []): ConfigIssue[] {
    const out: ConfigIssue[] = []
    for (const issue of issues) {
      const path = [...prefix, ...issue.path]
      if (issue.code === 'unrecognized_keys') {
        const known = schema ? knownKeys(schema, issue.path, valueAt(this.value, prefix)) : []
        for (const key of issue.keys) {
          const near = closest(key, known)
          out.push(this.issue(path, `unknown field "${key}"${near ? `; did you mean "${near}"?` : known.length > 0 ? ` (known: ${known.join(', ')})` : ''}`, {key}))
        }
        continue
      }
      if (issue.code === 'invalid_key') {
        const key = path.at(-1)
        out.push(this.issue(path.slice(0, -1), `"${String(key)}": ${issue.issues[0]?.message ?? issue.message}`, {key: String(key)}))
        continue
      }
      out.push(this.issue(path, issue.message))
    }
    return out
  }
}

function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let v = value
  for (const part of path) v = v !== null && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[part] : undefined
  return v
}

/**
 * The field names an object schema accepts at `path` (unwrapping optional, default, record, array and
 * pipe and lazy; a union on `kind`, such as a drill's probes, by the member the value at that point names).
 */
function knownKeys(schema: z.ZodType, path: readonly PropertyKey[], value?: unknown): string[] {
  let node: unknown = schema
  let here = value
  const unwrap = () => {
    for (;;) {
      const def = (node as {_zod?: {def?: {type?: string; innerType?: unknown; in?: unknown; options?: unknown[]; getter?: () => unknown}}})._zod?.def
      if (!def) return undefined
      if (def.type === 'lazy' && def.getter) {
        node = def.getter()
        continue
      }
      if ((def.type === 'optional' || def.type === 'default' || def.type === 'nullable' || def.type === 'prefault') && def.innerType) node = def.innerType
      else if (def.type === 'pipe' && def.in) node = def.in
      else if (def.type === 'union' && def.options) {
        const kind = here !== null && typeof here === 'object' ? (here as {kind?: unknown}).kind : undefined
        const member = def.options.find((o) => {
          const lit = (o as {_zod?: {def?: {shape?: {kind?: {_zod?: {def?: {values?: unknown[]}}}}}}})._zod?.def?.shape?.kind?._zod?.def?.values
          return lit !== undefined && lit.includes(kind)
        })
        if (!member) return undefined
        node = member
      } else return def
    }
  }
  for (const part of path) {
    const def = unwrap() as {type?: string; shape?: Record<string, unknown>; valueType?: unknown; element?: unknown} | undefined
    here = here !== null && typeof here === 'object' ? (here as Record<PropertyKey, unknown>)[part] : undefined
    if (def?.type === 'object' && typeof part === 'string' && def.shape) node = def.shape[part]
    else if (def?.type === 'record') node = def.valueType
    else if (def?.type === 'array') node = def.element
    else return []
  }
  const def = unwrap() as {type?: string; shape?: Record<string, unknown>} | undefined
  return def?.type === 'object' && def.shape ? Object.keys(def.shape) : []
}

/** The known name within edit distance 2 of a misspelt one. */
function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined
  let bestDistance = 3
  for (const candidate of candidates) {
    const d = editDistance(word, candidate)
    if (d < bestDistance) {
      best = candidate
      bestDistance = d
    }
  }
  return best
}

function editDistance(a: string, b: string): number {
  const row = Array.from({length: b.length + 1}, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0]!
    row[0] = i
    for (let j = 1; j <= b.length; j++) {
      const current = row[j]!
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1))
      previous = current
    }
  }
  return row[b.length]!
}

export function formatPath(path: readonly PropertyKey[]): string {
  let out = ''
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`
    else out += out === '' ? String(part) : `.${String(part)}`
  }
  return out
}

function firstLine(message: string): string {
  return message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')
}
