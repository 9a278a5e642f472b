import {readFileSync, readdirSync} from 'node:fs'
import path from 'node:path'

import fc from 'fast-check'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {loadDrill} from '../../src/config/load-drill.js'
import {loadTopology} from '../../src/config/load-topology.js'
import {ConfigError} from '../../src/errors.js'
import {DEFAULT_DRILLS_DIR, DEFAULT_TOPOLOGY} from '../../src/paths.js'
import {tempDir} from '../support/files.js'

let tmp: ReturnType<typeof tempDir>
beforeAll(() => {
  tmp = tempDir()
})
afterAll(() => tmp.cleanup())

/** Loading must end in a value or a clean ConfigError (file, line, field): never another exception, never a stack trace. */
function loadsCleanly(load: (file: string) => unknown, text: string): boolean {
  const file = tmp.write('fuzz.yaml', text)
  try {
    load(file)
    return true
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error
    for (const issue of error.issues) {
      expect(issue.file).toBeTruthy()
      expect(issue.message).not.toMatch(/\n\s+at /)
    }
    return true
  }
}

const drills = readdirSync(DEFAULT_DRILLS_DIR)
  .filter((f) => f.endsWith('.yaml') && f !== 'policy.yaml')
  .map((f) => readFileSync(path.join(DEFAULT_DRILLS_DIR, f), 'utf8'))
const topology = readFileSync(DEFAULT_TOPOLOGY, 'utf8')

/** A shipped file with one edit: a line dropped, duplicated, cut short, re-indented, or a random token spliced in. */
const mutated = (texts: readonly string[]) =>
  fc
    .tuple(fc.constantFrom(...texts), fc.nat(), fc.constantFrom('drop', 'dup', 'cut', 'indent', 'splice'), fc.string({maxLength: 12}), fc.nat({max: 80}))
    .map(([text, at, how, token, col]) => {
      const lines = text.split('\n')
      const i = at % lines.length
      const line = lines[i]!
      if (how === 'drop') lines.splice(i, 1)
      else if (how === 'dup') lines.splice(i, 0, line)
      else if (how === 'cut') lines[i] = line.slice(0, col % (line.length + 1))
      else if (how === 'indent') lines[i] = ` ${line}`
      else lines[i] = line.slice(0, col) + token + line.slice(col)
      return lines.join('\n')
    })

/**
 * Values on the refused side of the validation rules (docs/DESIGN.md "Validation"): signals Linux lacks,
 * image references the engine cannot parse, durations past a timer, paths that go up, NUL bytes, regular
 * expressions that do not compile, users and hostnames the engine refuses, exit statuses out of range.
 */
const hostile = fc.oneof(
  fc.stringMatching(/^SIG[A-Z]{2,8}$/),
  fc.stringMatching(/^[A-Z][a-z]{1,8}\/[A-Za-z-]{1,8}:[0-9]{1,2}$/),
  fc.integer({min: 2 ** 31, max: 2 ** 40}).map(String),
  fc.constantFrom('1000h', '/var/../etc', '"a\\0b"', "'(unclosed'", '"post gres"', '256', '-1', '0mbit', "'A=B'", 'a'.repeat(70), "''"),
)
/** A shipped file with one value (what follows "KEY: " on a line) replaced by a hostile one. */
const hostileValue = (texts: readonly string[]) =>
  fc.tuple(fc.constantFrom(...texts), fc.nat(), hostile).map(([text, at, value]) => {
    const lines = text.split('\n')
    const candidates = lines.map((l, i) => (/^\s*-?\s*[a-z_]+: \S/.test(l) ? i : -1)).filter((i) => i >= 0)
    const i = candidates[at % candidates.length]!
    lines[i] = lines[i]!.replace(/^(\s*-?\s*[a-z_]+: ).*$/, `$1${value}`)
    return lines.join('\n')
  })

describe('random and mutated YAML never escapes as an unhandled exception', {timeout: 30_000}, () => {
  it('drills and the topology with a value replaced by one the validation rules refuse', () => {
    fc.assert(fc.property(hostileValue(drills), (text) => loadsCleanly((f) => loadDrill(f, {topology: DEFAULT_TOPOLOGY}), text)), {numRuns: 300})
    fc.assert(fc.property(hostileValue([topology]), (text) => loadsCleanly((f) => loadTopology(f), text)), {numRuns: 200})
  })

  it('drills, mutated one edit at a time', () => {
    fc.assert(fc.property(mutated(drills), (text) => loadsCleanly((f) => loadDrill(f, {topology: DEFAULT_TOPOLOGY}), text)), {numRuns: 300})
  })

  it('the topology, mutated one edit at a time', () => {
    fc.assert(fc.property(mutated([topology]), (text) => loadsCleanly((f) => loadTopology(f), text)), {numRuns: 200})
  })

  it('arbitrary text and arbitrary JSON values as drills', () => {
    fc.assert(fc.property(fc.string({maxLength: 400}), (text) => loadsCleanly((f) => loadDrill(f, {topology: DEFAULT_TOPOLOGY}), text)), {numRuns: 200})
    fc.assert(
      fc.property(fc.jsonValue({maxDepth: 4}), (value) => loadsCleanly((f) => loadDrill(f, {topology: DEFAULT_TOPOLOGY}), JSON.stringify(value))),
      {numRuns: 200},
    )
  })
})
