import {spawnSync} from 'node:child_process'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {PACKAGE_ROOT} from '../../src/paths.js'
import {renderJunit} from '../../src/report/junit.js'
import type {RunReport} from '../../src/report/run-report.js'
import {failingResult, fixtureResult} from '../support/evidence.js'
import {requireTool} from '../support/tools.js'

// The JUnit XML checked by a real schema validator (xmllint, from libxml2-utils; scripts/setup.sh installs it).
const XSD = path.join(PACKAGE_ROOT, 'test', 'fixtures', 'junit', 'junit.xsd')
let tmp: string
beforeAll(() => {
  tmp = mkdtempSync(path.join(tmpdir(), 'firedrill-junit-'))
})
afterAll(() => rmSync(tmp, {recursive: true, force: true}))

const report = (result = fixtureResult()): RunReport => ({
  result,
  environment: null,
  signature: {state: 'signed', keyid: 'ab'.repeat(32), detail: ''},
})

/** xmllint --schema: exit 0 and "validates", or the errors. */
function validate(xml: string): {ok: boolean; output: string} {
  const xmllint = requireTool('xmllint', 'libxml2-utils')
  const file = path.join(tmp, `junit-${Math.random().toString(36).slice(2)}.xml`)
  writeFileSync(file, xml)
  const r = spawnSync(xmllint, ['--noout', '--schema', XSD, file], {encoding: 'utf8'})
  return {ok: r.status === 0, output: `${r.stdout}${r.stderr}`}
}

describe('JUnit XML', () => {
  it('validates against the common JUnit schema, passing and failing runs together', () => {
    const xml = renderJunit([report(), report(failingResult())])
    const v = validate(xml)
    expect(v.output).toMatch(/validates/)
    expect(v.ok).toBe(true)
  })

  it('the schema really is strict: a suite without system-out is refused', () => {
    const xml = renderJunit([report()]).replace(/<system-out>[\s\S]*?<\/system-out>\n/, '')
    expect(validate(xml).ok).toBe(false)
  })

  it('escapes what XML cannot hold', () => {
    const r = fixtureResult()
    r.results = [{...r.results[0]!, objective: 'assert: a < b & "c"', met: false, reason: 'bad \u0001 byte'}]
    expect(validate(renderJunit([report(r)])).ok).toBe(true)
  })
})

describe('the JUnit XML of a sweep (one testcase per cell)', () => {
  it('validates against the same schema: a failing SPOF cell, a skipped entry-point cell, passing cells', async () => {
    const {sweepJunit} = await import('../../src/report/sweep.js')
    const {SWEEP} = await import('../support/sweep.js')
    const v = validate(sweepJunit(SWEEP))
    expect(v.output).toMatch(/validates/)
    expect(v.ok).toBe(true)
  })
})
