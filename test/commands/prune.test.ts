import {existsSync, readdirSync, readFileSync, rmSync} from 'node:fs'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {SEAL_FILES, seal, writeBundleDir} from '../../src/evidence/bundle.js'
import {packBundle} from '../../src/evidence/pack.js'
import {recordEvidence} from '../../src/evidence/record.js'
import {generateSigningKey, loadSigningKey} from '../../src/evidence/signing.js'
import {HistoryStore} from '../../src/history/store.js'
import {PACKAGE_ROOT} from '../../src/paths.js'
import {firedrill} from '../support/cli.js'
import {fakeEvidenceEngine, fixtureResult, shippedDrill} from '../support/evidence.js'
import {tempDir} from '../support/files.js'

let tmp: ReturnType<typeof tempDir>
let env: Record<string, string>
let runs: string
const DRILL = path.join(PACKAGE_ROOT, 'drills', 'kill-primary.yaml')
const OLD_A = '20230301T090000Z-01d0aa' // 2023, listed by a period report
const OLD_B = '20240110T090000Z-01d0bb' // 2024, packed as a tarball
const NEW_C = '20261120T090000Z-0e0ccc' // within retention

beforeAll(async () => {
  tmp = tempDir()
  const home = path.join(tmp.dir, 'home')
  env = {FIREDRILL_HOME: home, XDG_CONFIG_HOME: path.join(tmp.dir, 'config')}
  runs = path.join(home, 'runs')
  const key = loadSigningKey(generateSigningKey().privatePem)!
  const template = path.join(tmp.dir, 'template')
  await recordEvidence(shippedDrill(), fixtureResult(), fakeEvidenceEngine(), {dir: template, key})
  const files = new Map<string, Buffer>()
  for (const e of readdirSync(template, {recursive: true, withFileTypes: true})) {
    const rel = path.relative(template, path.join(e.parentPath, e.name))
    if (e.isFile() && !SEAL_FILES.includes(rel)) files.set(rel, readFileSync(path.join(template, rel)))
  }
  const store = HistoryStore.open(path.join(home, 'history.sqlite'))
  for (const [runId, at] of [[OLD_A, '2023-03-01T09:00:00.000Z'], [OLD_B, '2024-01-10T09:00:00.000Z'], [NEW_C, '2026-11-20T09:00:00.000Z']] as const) {
    const dir = path.join(runs, runId)
    // A bundle sealed when its run ended, as run seals it.
    writeBundleDir(dir, seal(files, {run_id: runId, drill: 'kill-primary', verdict: 'pass', created_at: at}, key))
    let bundle = dir
    if (runId === OLD_B) {
      bundle = packBundle(dir).file
      rmSync(dir, {recursive: true})
    }
    store.recordRun({...fixtureResult({run_id: runId, started_at: at})}, {bundle, operator: 'ops'})
  }
  store.close()
})
afterAll(() => tmp.cleanup())

describe('evidence prune', () => {
  let q1Report: string
  it('a period report written out holds the bundles it lists', async () => {
    q1Report = path.join(tmp.dir, 'q1-2023.md')
    const r = await firedrill(['report', '--period', '2023-Q1', '--drills', DRILL, '--out', q1Report], {env})
    expect(r.exitCode).toBe(0)
    expect(readFileSync(q1Report, 'utf8')).toContain(`| \`${OLD_A}\` | kill-primary | \`${path.join(runs, OLD_A)}\` |`)
  })

  it('--dry-run says what would go and what stays, and removes and records nothing', async () => {
    const r = await firedrill(['evidence', 'prune', '--older-than', '2y', '--dry-run', '--operator', 'M. Park'], {env})
    expect(r.exitCode).toBe(0)
    expect(r.stdout).toContain(`kept: referenced  ${path.join(runs, OLD_A)} (run ${OLD_A}): older than 2y, but listed by period report ${q1Report} (remove that report first, or --force)`)
    expect(r.stdout).toMatch(new RegExp(`would remove +${path.join(runs, `${OLD_B}.tar.gz`)} \\(run ${OLD_B}\\): older than 2y \\(sealed 2024-01-10T09:00:00.000Z, cutoff`))
    expect(r.stdout).toContain(`Would remove 1 bundle(s) older than 2y from ${runs}; 1 within retention (dry run: nothing removed, nothing recorded).`)
    expect(existsSync(path.join(runs, `${OLD_B}.tar.gz`))).toBe(true)
    expect((await firedrill(['history', '--json'], {env})).stdout).toContain('"removals": []')
    const forced = await firedrill(['evidence', 'prune', '--older-than', '2y', '--dry-run', '--force'], {env})
    expect(forced.stdout).toContain(`; listed by period report ${q1Report}, removed with --force`)
  })

  it('removes what is past retention and not referenced, and records each removal in the history', async () => {
    const r = await firedrill(['evidence', 'prune', '--older-than', '2y', '--operator', 'M. Park'], {env})
    expect(r.exitCode).toBe(0)
    expect(r.stdout).toContain('Removed 1 bundle(s) older than 2y')
    expect(existsSync(path.join(runs, `${OLD_B}.tar.gz`))).toBe(false)
    expect(existsSync(path.join(runs, OLD_A))).toBe(true)
    expect(existsSync(path.join(runs, NEW_C))).toBe(true)
    const h = await firedrill(['history'], {env})
    expect(h.stdout).toMatch(new RegExp(`evidence removed \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d by M\\. Park: ${path.join(runs, `${OLD_B}.tar.gz`)} \\(run ${OLD_B}, manifest sha256 [0-9a-f]{64}\\): older than 2y`))
    // A later period report says where that run's evidence went.
    const q1 = await firedrill(['report', '--period', '2024-Q1', '--drills', DRILL], {env})
    expect(q1.stdout).toMatch(new RegExp(`\`${OLD_B}\` .* \`[0-9a-f]{64}\` \\*\\*removed by evidence prune on \\d{4}-\\d\\d-\\d\\d by M\\. Park: older than 2y`))
  })

  it('once the period report is gone, the bundles it listed go too', async () => {
    rmSync(q1Report)
    const r = await firedrill(['evidence', 'prune', '--older-than', '2y'], {env})
    expect(r.stdout).toMatch(new RegExp(`^removed +${path.join(runs, OLD_A)} \\(run ${OLD_A}\\): older than 2y`, 'm'))
    expect(existsSync(path.join(runs, OLD_A))).toBe(false)
    const json = JSON.parse((await firedrill(['history', '--json'], {env})).stdout)
    expect(json.removals.map((x: {run_id: string}) => x.run_id)).toEqual([OLD_B, OLD_A])
  })

  it('a retention period that is not one is exit 2', async () => {
    const r = await firedrill(['evidence', 'prune', '--older-than', '2 years'], {env})
    expect(r.exitCode).toBe(2)
    expect(r.stderr).toContain('--older-than: older-than: "2 years" is not a retention period; write 2y, 18mo, 6w or 90d')
  })
})
