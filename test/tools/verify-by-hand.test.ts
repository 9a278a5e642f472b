import {cpSync, readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {execa} from 'execa'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {recordEvidence} from '../../src/evidence/record.js'
import {generateSigningKey, loadSigningKey} from '../../src/evidence/signing.js'
import {VERIFY_DOC} from '../../src/evidence/verify-doc.js'
import {PACKAGE_ROOT} from '../../src/paths.js'
import {fakeEvidenceEngine, fixtureResult, shippedDrill} from '../support/evidence.js'
import {tempDir} from '../support/files.js'
import {requireTool} from '../support/tools.js'

/**
 * The standard-tools procedure of VERIFY.md, run exactly as written (the two lines it gives to extract and
 * run its blocks), on a bundle written by the code path every run uses, from a real kill-primary run's
 * recorded result, and on tampered copies, where it must fail at the check that catches each.
 */
let tmp: ReturnType<typeof tempDir>
let bundle: string
let pub: string
let otherPub: string
beforeAll(async () => {
  // The procedure's tools: fail, never skip, when one is missing.
  for (const [tool, pkg] of [['jq', 'jq'], ['openssl', 'openssl'], ['sha256sum', 'coreutils']]) requireTool(tool!, pkg!)
  tmp = tempDir()
  const ops = generateSigningKey()
  const other = generateSigningKey()
  pub = tmp.write('ops.pub.pem', ops.publicPem)
  otherPub = tmp.write('other.pub.pem', other.publicPem)
  bundle = path.join(tmp.dir, 'bundle')
  await recordEvidence(shippedDrill(), fixtureResult(), fakeEvidenceEngine(), {dir: bundle, key: loadSigningKey(ops.privatePem), reporters: ['html']})
  await recordEvidence(shippedDrill(), fixtureResult({run_id: '20261124T090000Z-0ther1'}), fakeEvidenceEngine(), {dir: path.join(tmp.dir, 'second'), key: loadSigningKey(ops.privatePem)})
})
afterAll(() => tmp.cleanup())

/** VERIFY.md's own commands: extract the script from the bundle's VERIFY.md, run it in the bundle with PUB. */
async function byHand(dir: string, key = pub, script = path.join(dir, '..', `${path.basename(dir)}-verify.sh`)) {
  const doc = readFileSync(path.join(dir, 'VERIFY.md'), 'utf8')
  const lines = doc.split('\n').filter((l) => l.startsWith('    sed -n') || l.startsWith('    PUB='))
  expect(lines).toHaveLength(2)
  const extract = lines[0]!.trim().replace('/tmp/verify-bundle.sh', script)
  const run = lines[1]!.trim().replace('/path/to/signer.pub.pem', key).replace('/tmp/verify-bundle.sh', script)
  await execa('sh', ['-c', extract], {cwd: dir})
  return execa('sh', ['-c', run], {cwd: dir, reject: false, all: true})
}

function copy(name: string): string {
  const dir = path.join(tmp.dir, name)
  cpSync(bundle, dir, {recursive: true})
  return dir
}

describe('VERIFY.md: checking a bundle with standard tools only', () => {
  it('is in every bundle, listed in its manifest, and docs/verify-evidence.md is the same text', () => {
    expect(readFileSync(path.join(bundle, 'VERIFY.md'), 'utf8')).toBe(VERIFY_DOC)
    expect(readFileSync(path.join(PACKAGE_ROOT, 'docs', 'verify-evidence.md'), 'utf8')).toBe(VERIFY_DOC)
    expect(JSON.parse(readFileSync(path.join(bundle, 'manifest.json'), 'utf8')).files.map((f: {path: string}) => f.path)).toContain('VERIFY.md')
    expect(readFileSync(path.join(bundle, 'SHA256SUMS'), 'utf8')).toMatch(/^[0-9a-f]{64} {2}VERIFY\.md$/m)
  })

  it('passes on the bundle as written', async () => {
    const r = await byHand(bundle)
    expect(r.all).toMatch(/^VERIFIED: signed by key [0-9a-f]{64}; \d+ files match; \d+ events chained$/m)
    expect(r.exitCode).toBe(0)
  })

  it('fails on an edited file (one byte of result.json)', async () => {
    const dir = copy('edited')
    const file = path.join(dir, 'result.json')
    writeFileSync(file, readFileSync(file, 'utf8').replace('"verdict": "pass"', '"verdict": "pasS"'))
    const r = await byHand(dir)
    expect(r.exitCode).not.toBe(0)
    expect(r.all).toContain('result.json: FAILED')
    expect(r.all).toContain('FAIL 4: a file was changed or is missing')
  })

  it('fails on a removed event line; the chain alone names the line after it', async () => {
    const dir = copy('removed-event')
    const file = path.join(dir, 'events.jsonl')
    const lines = readFileSync(file, 'utf8').split('\n')
    lines.splice(3, 1)
    writeFileSync(file, lines.join('\n'))
    const r = await byHand(dir)
    expect(r.exitCode).not.toBe(0)
    expect(r.all).toContain('events.jsonl: FAILED')
    // The chain block on its own (the setup block, then block 5), as a rewritten manifest would leave it to.
    const blocks = [...VERIFY_DOC.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!)
    const chain = blocks.find((b) => b.includes('FAIL 5:'))!
    const c = await execa('sh', ['-c', blocks[0]! + chain], {cwd: dir, reject: false, all: true, env: {PUB: pub}})
    expect(c.exitCode).not.toBe(0)
    expect(c.all).toContain('FAIL 5: events.jsonl line 4 does not carry the hash of the line before it')
  })

  it('fails on a swapped signature (another bundle\'s, by the same key)', async () => {
    const dir = copy('swapped')
    const env = JSON.parse(readFileSync(path.join(dir, 'attestation.dsse.json'), 'utf8'))
    env.signatures[0].sig = JSON.parse(readFileSync(path.join(tmp.dir, 'second', 'attestation.dsse.json'), 'utf8')).signatures[0].sig
    writeFileSync(path.join(dir, 'attestation.dsse.json'), JSON.stringify(env, null, 2))
    const r = await byHand(dir)
    expect(r.exitCode).not.toBe(0)
    expect(r.all).toContain('Signature Verification Failure')
    expect(r.all).toContain(`FAIL 2: the signature does not verify with ${pub}`)
  })

  it('fails when checked against a key that is not the signer\'s', async () => {
    const r = await byHand(bundle, otherPub, path.join(tmp.dir, 'other-key-verify.sh'))
    expect(r.exitCode).not.toBe(0)
    expect(r.all).toContain('FAIL 1: the envelope names another key')
  })
})
