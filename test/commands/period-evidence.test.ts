import {existsSync, readdirSync, readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {execa} from 'execa'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {MANIFEST, SEAL_FILES, seal, writeBundleDir, type Manifest} from '../../src/evidence/bundle.js'
import {recordEvidence} from '../../src/evidence/record.js'
import {loadSigningKey} from '../../src/evidence/signing.js'
import {checkSigningKey} from '../../src/evidence/trust.js'
import {HistoryStore} from '../../src/history/store.js'
import {PACKAGE_ROOT} from '../../src/paths.js'
import {firedrill} from '../support/cli.js'
import {fakeEvidenceEngine, fixtureResult, shippedDrill} from '../support/evidence.js'
import {tempDir} from '../support/files.js'
import {requireTool} from '../support/tools.js'

let tmp: ReturnType<typeof tempDir>
let env: Record<string, string>
let runs: string
let ops: {key: string; pub: string; keyid: string}
const RUN_IDS = ['20261123T130200Z-8ed6a0', '20261124T090000Z-5ec0nd']
const DRILL = path.join(PACKAGE_ROOT, 'drills', 'kill-primary.yaml')

beforeAll(async () => {
  // The procedure's tools: fail, never skip, when one is missing.
  for (const [tool, pkg] of [['jq', 'jq'], ['openssl', 'openssl'], ['sha256sum', 'coreutils']]) requireTool(tool!, pkg!)
  tmp = tempDir()
  const home = path.join(tmp.dir, 'home')
  env = {FIREDRILL_HOME: home, XDG_CONFIG_HOME: path.join(tmp.dir, 'config')}
  const g = await firedrill(['keys', 'generate', '--dir', tmp.dir, '--name', 'ops', '--json'], {env})
  const j = JSON.parse(g.stdout)
  ops = {key: j.private_key, pub: j.public_key, keyid: j.keyid}
  expect((await firedrill(['keys', 'trust', ops.pub, '--name', 'ops-team'], {env})).exitCode).toBe(0)
  runs = path.join(home, 'runs')
  const store = HistoryStore.open(path.join(home, 'history.sqlite'))
  for (const [i, runId] of RUN_IDS.entries()) {
    const result = fixtureResult({run_id: runId, started_at: i === 0 ? '2026-11-23T13:02:00.272Z' : '2026-11-24T09:00:00.000Z'})
    const dir = path.join(runs, runId)
    // As run signs: the key takes its trusted name.
    const key = loadSigningKey(ops.key)!
    expect(checkSigningKey(key, {...process.env, ...env})).toEqual([])
    const rec = await recordEvidence(shippedDrill(), result, fakeEvidenceEngine(), {dir, key})
    store.recordRun(rec.report.result, {bundle: dir, operator: 'ops'})
  }
  store.close()
})
afterAll(() => tmp.cleanup())

describe('a signed period report is evidence too', () => {
  let q4: string
  it('report --period --key --out: the reports, period.json and VERIFY.md, sealed and signed; every bundle listed with its manifest digest and signer', async () => {
    q4 = path.join(tmp.dir, 'q4')
    const r = await firedrill(['report', '--period', '2026-Q4', '--drills', DRILL, '--reporter', 'markdown,html', '--key', ops.key, '--out', q4], {env})
    expect(r.stderr).toBe('')
    expect(r.exitCode).toBe(0)
    expect(r.stdout).toContain(`Signed period report ${q4} (`)
    expect(r.stdout).toContain(`key ${ops.keyid} (ops-team)); check it and the bundles it lists with: firedrill evidence verify ${q4} --bundles ${runs}`)
    expect(readdirSync(q4).sort()).toEqual(['SHA256SUMS', 'VERIFY.md', 'attestation.dsse.json', 'manifest.json', 'period.json', 'report.html', 'report.md', 'signer.pub.pem'])
    const period = JSON.parse(readFileSync(path.join(q4, 'period.json'), 'utf8'))
    const digest = (runId: string) => execa('sha256sum', [path.join(runs, runId, MANIFEST)]).then((x) => x.stdout.split(' ')[0])
    expect(period.evidence).toEqual(
      await Promise.all(RUN_IDS.map(async (id) => expect.objectContaining({run_id: id, bundle: path.join(runs, id), manifest_sha256: await digest(id), signer_keyid: ops.keyid, signer_name: 'ops-team', problem: null}))),
    )
    const md = readFileSync(path.join(q4, 'report.md'), 'utf8')
    expect(md).toContain(`| \`${RUN_IDS[0]}\` | kill-primary | \`${path.join(runs, RUN_IDS[0]!)}\` | \`${await digest(RUN_IDS[0]!)}\` | \`${ops.keyid}\` (ops-team) |`)
    expect(readFileSync(path.join(q4, 'report.html'), 'utf8')).toContain(`<td><code>${await digest(RUN_IDS[1]!)}</code></td>`)
    expect(JSON.parse(readFileSync(path.join(q4, 'manifest.json'), 'utf8'))).toMatchObject({kind: 'period-report', signed: true, keyid: ops.keyid, key_name: 'ops-team'})
  })

  it('evidence verify checks it, and with --bundles that each listed bundle is the one named and intact', async () => {
    const alone = await firedrill(['evidence', 'verify', q4, '--require-signature'], {env})
    expect(alone.exitCode).toBe(0)
    expect(alone.stdout).toContain('period report 2026-Q4')
    expect(alone.stdout).toContain('the bundles it lists were not checked: give them with --bundles')
    const all = await firedrill(['evidence', 'verify', q4, '--require-signature', '--bundles', runs], {env})
    expect(all.exitCode).toBe(0)
    expect(all.stdout).toContain('listed bundles: 2 match and verify, 0 differ, 0 not intact, 0 not given')
    const one = await firedrill(['evidence', 'verify', q4, '--bundles', path.join(runs, RUN_IDS[0]!), '--json'], {env})
    expect(JSON.parse(one.stdout)).toMatchObject({ok: true, kind: 'period-report', listed: [{run_id: RUN_IDS[0], state: 'matches'}, {run_id: RUN_IDS[1], state: 'not given'}]})
    // The report's own signature must come from a trusted key, as a bundle's.
    const bare = await firedrill(['evidence', 'verify', q4, '--require-signature'], {env: {...env, FIREDRILL_HOME: path.join(tmp.dir, 'elsewhere')}})
    expect(bare.exitCode).toBe(1)
    expect(bare.stdout).toContain(`✗ not signed by a trusted key: signed by key ${ops.keyid}`)
  })

  it('a listed bundle edited afterwards is named: not intact (files changed) or different (manifest rewritten)', async () => {
    const second = path.join(runs, RUN_IDS[1]!)
    const result = path.join(second, 'result.json')
    const saved = readFileSync(result)
    writeFileSync(result, saved.toString().replace('"verdict": "pass"', '"verdict": "pasS"'))
    try {
      const r = await firedrill(['evidence', 'verify', q4, '--bundles', runs], {env})
      expect(r.exitCode).toBe(1)
      expect(r.stdout).toContain(`✗ listed bundle ${RUN_IDS[1]}: ${second}: modified: result.json`)
      // Resealed by someone with a key of their own: the manifest is no longer the one the report pins.
      const files = new Map<string, Buffer>()
      for (const e of readdirSync(second, {recursive: true, withFileTypes: true})) {
        const rel = path.relative(second, path.join(e.parentPath, e.name))
        if (e.isFile() && !SEAL_FILES.includes(rel)) files.set(rel, readFileSync(path.join(second, rel)))
      }
      const m = JSON.parse(readFileSync(path.join(second, MANIFEST), 'utf8')) as Manifest
      const resealed = path.join(tmp.dir, 'resealed')
      writeBundleDir(resealed, seal(files, {run_id: m.run_id, drill: m.drill, verdict: m.verdict, created_at: m.created_at}, loadSigningKey(ops.key)))
      const d = await firedrill(['evidence', 'verify', q4, '--bundles', path.join(runs, RUN_IDS[0]!), resealed], {env})
      expect(d.exitCode).toBe(1)
      expect(d.stdout).toMatch(new RegExp(`✗ listed bundle ${RUN_IDS[1]}: ${resealed}: its manifest is not the one the report lists \\([0-9a-f]{64}\\)`))
    } finally {
      writeFileSync(result, saved)
    }
  })

  it('an edited period.json fails; the standard-tools procedure of its VERIFY.md passes on it as written', async () => {
    const copy = path.join(tmp.dir, 'q4-copy')
    await execa('cp', ['-r', q4, copy])
    const script = path.join(tmp.dir, 'verify-period.sh')
    await execa('sh', ['-c', `sed -n '/^\`\`\`sh$/,/^\`\`\`$/p' VERIFY.md | grep -v '^\`\`\`' > ${script}`], {cwd: copy})
    const ok = await execa('sh', [script], {cwd: copy, env: {PUB: ops.pub}, reject: false, all: true})
    expect(ok.all).toMatch(/^VERIFIED: signed by key [0-9a-f]{64}; 4 files match; 0 events chained$/m)
    expect(ok.exitCode).toBe(0)
    const documented = readFileSync(path.join(copy, 'VERIFY.md'), 'utf8').split('\n').find((l) => l.startsWith("    jq -r '.evidence[]"))!.trim()
    const digests = await execa('sh', ['-c', documented], {cwd: copy, reject: false, all: true})
    expect(digests.all).toContain(`${path.join(runs, RUN_IDS[0]!)}/manifest.json: OK`)
    expect(digests.exitCode).toBe(0)
    writeFileSync(path.join(copy, 'period.json'), readFileSync(path.join(copy, 'period.json'), 'utf8').replace('"failed": 0', '"failed": 1'))
    const bad = await execa('sh', [script], {cwd: copy, env: {PUB: ops.pub}, reject: false, all: true})
    expect(bad.exitCode).not.toBe(0)
    expect(bad.all).toContain('period.json: FAILED')
    const v = await firedrill(['evidence', 'verify', copy], {env})
    expect(v.exitCode).toBe(1)
    expect(v.stdout).toContain('✗ modified: period.json')
    expect(existsSync(path.join(copy, 'events.jsonl'))).toBe(false)
  })

  it('--key needs --out (a new directory): refused before anything is written', async () => {
    const r = await firedrill(['report', '--period', '2026-Q4', '--drills', DRILL, '--key', ops.key], {env})
    expect(r.exitCode).toBe(2)
    const again = await firedrill(['report', '--period', '2026-Q4', '--drills', DRILL, '--key', ops.key, '--out', q4], {env})
    expect(again.exitCode).toBe(2)
    expect(again.stderr).toContain('already exists and is not empty; evidence is never written over')
  })
})
