import {execFileSync} from 'node:child_process'
import {existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {recordEvidence} from '../../src/evidence/record.js'
import {loadSigningKey} from '../../src/evidence/signing.js'
import {PACKAGE_ROOT} from '../../src/paths.js'
import {firedrill, NO_ENGINE} from '../support/cli.js'
import {fakeEvidenceEngine, fixtureResult, shippedDrill} from '../support/evidence.js'
import {seedStore} from '../support/history.js'
import {rawTarGz} from '../support/hostile-tar.js'
import {MINIMAL_DRILL, tempDir} from '../support/files.js'

let tmp: ReturnType<typeof tempDir>
let bundle: string
let keyFile: string
let pubFile: string
beforeAll(async () => {
  tmp = tempDir()
  const keys = await firedrill(['keys', 'generate', '--dir', tmp.dir, '--name', 'ops', '--json'])
  expect(keys.exitCode).toBe(0)
  ;({private_key: keyFile, public_key: pubFile} = JSON.parse(keys.stdout))
  bundle = path.join(tmp.dir, 'run')
  await recordEvidence(shippedDrill(), fixtureResult(), fakeEvidenceEngine(), {dir: bundle, key: loadSigningKey(keyFile), reporters: ['html']})
})
afterAll(() => tmp.cleanup())

describe('keys generate', () => {
  it('writes a private key only its owner can read, and never overwrites one', async () => {
    expect(statSync(keyFile).mode & 0o777).toBe(0o600)
    expect(readFileSync(pubFile, 'utf8')).toMatch(/^-----BEGIN PUBLIC KEY-----/)
    const again = await firedrill(['keys', 'generate', '--dir', tmp.dir, '--name', 'ops'])
    expect(again.exitCode).toBe(2)
    expect(again.stderr).toContain(`${keyFile} already exists; keys are never overwritten`)
  })
})

describe('evidence verify', () => {
  it('exit 0 on an intact bundle, the signature checked against --pub', async () => {
    const r = await firedrill(['evidence', 'verify', bundle, '--pub', pubFile])
    expect(r.exitCode).toBe(0)
    expect(r.stdout).toMatch(/: INTACT\n/)
    expect(r.stdout).toMatch(/signature: valid \(signed by key [0-9a-f]{64} \(ops, a name the signer gave itself\), the key given with --pub\)/)
  })

  it('exit 1 naming what was changed; --json carries the same', async () => {
    const copy = path.join(tmp.dir, 'tampered')
    await recordEvidence(shippedDrill(), fixtureResult(), fakeEvidenceEngine(), {dir: copy, key: loadSigningKey(keyFile)})
    writeFileSync(path.join(copy, 'logs', 'fd-bank-3site-etcd-seoul.log'), 'rewritten\n')
    writeFileSync(path.join(copy, 'notes.txt'), 'added\n')
    const r = await firedrill(['evidence', 'verify', copy, '--pub', pubFile])
    expect(r.exitCode).toBe(1)
    expect(r.stdout).toContain('NOT INTACT')
    expect(r.stdout).toContain('✗ modified: logs/fd-bank-3site-etcd-seoul.log')
    expect(r.stdout).toContain('✗ added: notes.txt')
    const j = await firedrill(['evidence', 'verify', copy, '--json'])
    expect(j.exitCode).toBe(1)
    expect(JSON.parse(j.stdout)).toMatchObject({ok: false, files: {modified: ['logs/fd-bank-3site-etcd-seoul.log'], added: ['notes.txt']}})
  })

  it('exit 2 for something that is not a bundle', async () => {
    const r = await firedrill(['evidence', 'verify', path.join(tmp.dir, 'nope')])
    expect(r.exitCode).toBe(2)
    expect(r.stderr).toContain('no such run directory or tarball')
    const notTar = tmp.write('x.tar.gz', 'not gzip')
    expect((await firedrill(['evidence', 'verify', notTar])).exitCode).toBe(2)
  })

  it('refuses a tarball with a ../ entry or a link (exit 2, naming the entry), and writes nothing outside it', async () => {
    const climb = path.join(tmp.dir, 'climb.tar.gz')
    writeFileSync(climb, rawTarGz([{path: 'run/manifest.json', data: '{}'}, {path: 'run/../../escaped.txt', data: 'evil'}]))
    const r = await firedrill(['evidence', 'verify', climb])
    expect(r.exitCode).toBe(2)
    expect(r.stderr).toContain('entry run/../../escaped.txt climbs out of the bundle (..)')
    expect(existsSync(path.join(tmp.dir, '..', 'escaped.txt'))).toBe(false)
    const link = path.join(tmp.dir, 'link.tar.gz')
    writeFileSync(link, rawTarGz([{path: 'run/result.json', type: 'SymbolicLink', linkpath: '/etc/passwd'}]))
    const l = await firedrill(['evidence', 'verify', link, '--json'])
    expect(l.exitCode).toBe(2)
    expect(JSON.parse(l.stdout).error.message).toContain('entry run/result.json is a SymbolicLink; an evidence tarball holds regular files only (links are refused)')
  })
})

describe('evidence pack and report', () => {
  it('pack → a tarball that verifies and renders', async () => {
    const r = await firedrill(['evidence', 'pack', bundle, '--json'])
    expect(r.exitCode).toBe(0)
    const packed = JSON.parse(r.stdout)
    expect(packed).toMatchObject({packed: true, ok: true, file: `${bundle}.tar.gz`})
    expect((await firedrill(['evidence', 'verify', packed.file, '--pub', pubFile])).exitCode).toBe(0)
    const junit = await firedrill(['report', packed.file, '--reporter', 'junit'])
    expect(junit.exitCode).toBe(0)
    expect(junit.stdout).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<testsuites>/)
  })

  it('report RUN renders every reporter from the bundle alone', async () => {
    const out = path.join(tmp.dir, 'reports')
    const r = await firedrill(['report', bundle, '--reporter', 'table,json,junit,markdown,html', '--out', out, '--pub', pubFile])
    expect(r.exitCode).toBe(0)
    for (const f of ['report.txt', 'result.json', 'junit.xml', 'report.md', 'report.html']) expect(existsSync(path.join(out, f)), f).toBe(true)
    expect(readFileSync(path.join(out, 'report.html'), 'utf8')).toContain('Signature valid')
    expect(readFileSync(path.join(out, 'report.md'), 'utf8')).toContain('Integrity: every file matches the manifest')
  })

  it('report needs a run or --period, not both', async () => {
    const r = await firedrill(['report'])
    expect(r.exitCode).toBe(2)
    expect(r.stderr).toContain('give either a run directory (or tar.gz) or --period')
    const p = await firedrill(['report', '--period', 'Q4'])
    expect(p.exitCode).toBe(2)
    expect(p.stderr).toContain('"Q4" is not a period')
  })
})

describe('history, plan, note and the period report on a seeded store', () => {
  let home: string
  let drills: string
  beforeAll(() => {
    home = path.join(tmp.dir, 'home')
    seedStore(path.join(home, 'history.sqlite')).close()
    drills = path.join(tmp.dir, 'drills')
    mkdirSync(drills)
    const topology = path.join(PACKAGE_ROOT, 'fixtures', 'topologies', 'bank-3site', 'topology.yaml')
    const drill = (name: string, frequency: string) =>
      writeFileSync(path.join(drills, `${name}.yaml`), MINIMAL_DRILL.replace('name: kill-primary', `name: ${name}\ntopology: ${topology}\nfrequency: ${frequency}`))
    drill('kill-primary', 'quarterly')
    drill('site-power-cut', 'semiannual')
    drill('db-process-crash', 'annual')
  })
  const env = () => ({FIREDRILL_HOME: home})

  it('history shows runs, the trend and the regression', async () => {
    // Three earlier runs: too few to judge by default (five), and the output says so.
    const few = await firedrill(['history', '--drill', 'kill-primary'], {env: env()})
    expect(few.exitCode).toBe(0)
    expect(few.stdout).toMatch(/20261012T090000Z-bad001 .* FAIL .* 14\.50 s .* 9\.20 s \(3\) .* too few runs \(3\)/)
    expect(few.stdout).toContain('no regression flagged: kill-primary 20261012T090000Z-bad001: not judged: 3 earlier run(s) recovered, a regression needs 5 (RTO 14.50 s against a median 9.20 s)')
    const r = await firedrill(['history', '--drill', 'kill-primary', '--min-runs', '3'], {env: env()})
    expect(r.exitCode).toBe(0)
    expect(r.stdout).toMatch(/20261012T090000Z-bad001 .* FAIL .* 14\.50 s .* 9\.20 s \(3\) .* REGRESSION/)
    expect(r.stdout).toContain('regression: kill-primary 20261012T090000Z-bad001: RTO 14.50 s is 5.30 s worse than the median 9.20 s of 3 earlier run(s), beyond each of: margin 20% = 1.84 s, resolution ± 200 ms, spread of the earlier runs ± 300 ms')
    expect(r.stdout).toContain('kill-primary: RTO trend ▁▂▁█▁ (5 runs, 4 passed)')
    const since = await firedrill(['history', '--since', '2026-10-01', '--min-runs', '3', '--json'], {env: env()})
    expect(JSON.parse(since.stdout).runs.map((x: {run_id: string; regression: boolean}) => [x.run_id, x.regression])).toEqual([
      ['20261012T090000Z-bad001', true],
      [expect.stringMatching(/^20261020T/), false],
      [expect.stringMatching(/^20261105T/), false],
    ])
    expect((await firedrill(['history', '--since', 'yesterday'], {env: env()})).exitCode).toBe(2)
  })

  it('plan lists due dates; --check exits 1 when one is overdue', async () => {
    const ok = await firedrill(['plan', drills, '--now', '2026-12-01'], {env: env()})
    expect(ok.exitCode).toBe(0)
    expect(ok.stdout).toMatch(/site-power-cut .* semiannual .* 2026-05-02 22:00 .* PASS .* 2026-11-02 .* OVERDUE \(28 days\)/)
    const check = await firedrill(['plan', drills, '--now', '2026-12-01', '--check', '--json'], {env: env()})
    expect(check.exitCode).toBe(1)
    expect(JSON.parse(check.stdout).overdue).toEqual(['site-power-cut'])
    const fine = await firedrill(['plan', path.join(drills, 'db-process-crash.yaml'), '--now', '2026-12-01', '--check'], {env: env()})
    expect(fine.exitCode).toBe(0)
    expect(fine.stdout).toContain('Nothing overdue.')
  })

  it('a bad drill file in the calendar is exit 2 with its file and field', async () => {
    const bad = tmp.write('bad-frequency.yaml', MINIMAL_DRILL.replace('name: kill-primary', 'name: x\nfrequency: weekly'))
    const r = await firedrill(['plan', bad], {env: env()})
    expect(r.exitCode).toBe(2)
    expect(r.stderr).toContain(`${bad}:2:12: frequency: frequency must be one of: nightly, monthly, quarterly, semiannual, annual`)
  })

  it('note, then the period report shows it next to the failure', async () => {
    const n = await firedrill(['note', '20261012T090000Z-bad001', 'Patroni ttl lowered (CHG-1234)', '--author', 'M. Park'], {env: env()})
    expect(n.exitCode).toBe(0)
    expect((await firedrill(['note', 'nope', 'x'], {env: env()})).exitCode).toBe(2)
    const md = await firedrill(['report', '--period', '2026-Q4', '--drills', drills], {env: env()})
    expect(md.exitCode).toBe(0)
    expect(md.stdout).toMatch(/- Follow-up \(\d{4}-\d\d-\d\d, M\. Park\): Patroni ttl lowered \(CHG-1234\)/)
    expect(md.stdout).toContain('**Due and not run:** site-power-cut')
    const html = await firedrill(['report', '--period', '2026-Q4', '--drills', drills, '--reporter', 'html'], {env: env()})
    expect(html.stdout).toMatch(/^<!DOCTYPE html>/)
  })
})

describe('run checks its evidence options before anything starts', () => {
  it('an unreadable key is exit 2, before the engine is asked', async () => {
    const r = await firedrill(['run', 'drills/kill-primary.yaml', '--key', '/nonexistent/key.pem'], {env: NO_ENGINE})
    expect(r.exitCode).toBe(2)
    expect(r.stderr).toContain('--key /nonexistent/key.pem: /nonexistent/key.pem: file not found')
  })

  it('--out that already holds files is exit 2', async () => {
    const r = await firedrill(['run', 'drills/kill-primary.yaml', '--out', bundle], {env: NO_ENGINE})
    expect(r.exitCode).toBe(2)
    expect(r.stderr).toContain('already exists and is not empty; evidence is never written over')
  })

  it('an unknown reporter is exit 2', async () => {
    const r = await firedrill(['run', 'drills/kill-primary.yaml', '--reporter', 'table,pdf'], {env: NO_ENGINE})
    expect(r.exitCode).toBe(2)
    expect(r.stderr).toMatch(/Expected --reporter=pdf to be one of: table, json, junit, markdown,/)
  })
})

describe('an evidence or history directory that cannot be written is refused before anything starts (exit 2, not 3)', () => {
  // Root ignores file modes, so a read-only mount stands in for an unwritable directory.
  let readOnly: string
  let aFile: string
  beforeAll(() => {
    readOnly = path.join(tmp.dir, 'read-only')
    mkdirSync(readOnly)
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=1m', 'tmpfs', readOnly])
    aFile = tmp.write('not-a-directory', 'a regular file\n')
  })
  afterAll(() => execFileSync('umount', [readOnly]))
  const OUT_REMEDY = 'choose a directory on a writable file system with --out, or leave --out out for .firedrill/runs/<run-id>'

  it.each([
    ['--out through a regular file', () => ({args: ['--out', path.join(aFile, 'evidence')], env: {}}), () => `--out ${path.join(aFile, 'evidence')} cannot be written: ${aFile} is a file, not a directory (ENOTDIR)`, OUT_REMEDY],
    ['--out that is a regular file', () => ({args: ['--out', aFile], env: {}}), () => `--out ${aFile} cannot be written: ${aFile} is a file, not a directory (ENOTDIR)`, OUT_REMEDY],
    ['--out on a read-only file system', () => ({args: ['--out', path.join(readOnly, 'q4', 'evidence')], env: {}}), () => `--out ${path.join(readOnly, 'q4', 'evidence')} cannot be written: ${readOnly} is on a read-only file system (EROFS)`, OUT_REMEDY],
    ['FIREDRILL_HOME on a read-only file system', () => ({args: [], env: {FIREDRILL_HOME: path.join(readOnly, 'home')}}), () => `the runs directory ${path.join(readOnly, 'home', 'runs')} cannot be written: ${readOnly} is on a read-only file system (EROFS)`, 'set FIREDRILL_HOME to a directory you can write to (it holds runs/ and history.sqlite), or give --out DIR for the bundle'],
    ['a writable --out with the history on a read-only file system', () => ({args: ['--out', path.join(tmp.dir, 'fresh-out')], env: {FIREDRILL_HOME: readOnly}}), () => `the history store ${path.join(readOnly, 'history.sqlite')} cannot be written: ${readOnly} is on a read-only file system (EROFS)`, 'set FIREDRILL_HOME to a directory you can write to (it holds runs/ and history.sqlite)'],
  ])('%s', async (_name, given, message, remedy) => {
    const {args, env} = given()
    const r = await firedrill(['run', 'drills/kill-primary.yaml', ...args], {env: {...NO_ENGINE, ...env}})
    expect(r.stderr).toContain(`Error: ${message()}\nTry this:\n  ${remedy}`)
    // Exit 2 and not 3: the engine (unreachable here) was never asked, so nothing was created.
    expect(r.exitCode).toBe(2)
    const json = await firedrill(['run', 'drills/kill-primary.yaml', ...args, '--json'], {env: {...NO_ENGINE, ...env}})
    expect(JSON.parse(json.stdout).error).toMatchObject({code: 'evidence_write_failed', exit_code: 2, message: message(), suggestions: [remedy]})
    expect(readdirSync(readOnly)).toEqual([])
    expect(existsSync(path.join(tmp.dir, 'fresh-out'))).toBe(false)
  })
})
