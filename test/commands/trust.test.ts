import {readdirSync, readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {MANIFEST, SEAL_FILES, seal, writeBundleDir, type Manifest} from '../../src/evidence/bundle.js'
import {recordEvidence} from '../../src/evidence/record.js'
import {loadSigningKey, type SigningKey} from '../../src/evidence/signing.js'
import {firedrill} from '../support/cli.js'
import {fakeEvidenceEngine, fixtureResult, shippedDrill} from '../support/evidence.js'
import {tempDir} from '../support/files.js'

let tmp: ReturnType<typeof tempDir>
let env: Record<string, string>
const keys: Record<string, {key: string; pub: string; keyid: string}> = {}
let original: string

/** Every file of a bundle but its seal, as an attacker who edits it and seals it again would start. */
function contents(dir: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>()
  for (const e of readdirSync(dir, {recursive: true, withFileTypes: true})) {
    if (!e.isFile()) continue
    const rel = path.relative(dir, path.join(e.parentPath, e.name))
    if (!SEAL_FILES.includes(rel)) files.set(rel, readFileSync(path.join(dir, rel)))
  }
  return files
}

/** The bundle, optionally edited, sealed again (manifest recomputed, statement re-signed) with `key` as of `at`. */
function reseal(name: string, key: SigningKey, opts: {at?: string; edit?: (files: Map<string, Buffer>) => void} = {}): string {
  const files = contents(original)
  opts.edit?.(files)
  const m = JSON.parse(readFileSync(path.join(original, MANIFEST), 'utf8')) as Manifest
  const dir = path.join(tmp.dir, name)
  writeBundleDir(dir, seal(files, {run_id: m.run_id, drill: m.drill, verdict: m.verdict, created_at: opts.at ?? new Date().toISOString()}, key))
  return dir
}

beforeAll(async () => {
  tmp = tempDir()
  env = {FIREDRILL_HOME: path.join(tmp.dir, 'home'), XDG_CONFIG_HOME: path.join(tmp.dir, 'config')}
  for (const name of ['ops', 'mallory', 'old-ops']) {
    const r = await firedrill(['keys', 'generate', '--dir', tmp.dir, '--name', name, '--json'], {env})
    expect(r.exitCode).toBe(0)
    const j = JSON.parse(r.stdout)
    keys[name] = {key: j.private_key, pub: j.public_key, keyid: j.keyid}
  }
  original = path.join(tmp.dir, 'original')
  await recordEvidence(shippedDrill(), fixtureResult(), fakeEvidenceEngine(), {dir: original, key: loadSigningKey(keys.ops!.key)})
})
afterAll(() => tmp.cleanup())

const verify = (dir: string, ...flags: string[]) => firedrill(['evidence', 'verify', dir, ...flags], {env})

describe('trusted signers', () => {
  it('before any key is trusted, a signed bundle is UNTRUSTED: intact without the flag, exit 1 under --require-signature naming the key id and the remedy', async () => {
    const plain = await verify(original)
    expect(plain.exitCode).toBe(0)
    expect(plain.stdout).toContain(`signature: UNTRUSTED (the signature is valid only with the public key shipped in the bundle, key ${keys.ops!.keyid} (ops, a name the signer gave itself)`)
    const strict = await verify(original, '--require-signature')
    expect(strict.exitCode).toBe(1)
    expect(strict.stdout).toContain('NOT INTACT')
    expect(strict.stdout).toContain(`✗ not signed by a trusted key: signed by key ${keys.ops!.keyid} (ops, a name the signer gave itself), which is not among the trusted keys`)
    expect(strict.stdout).toContain('firedrill keys trust BUNDLE/signer.pub.pem --name NAME; or verify with your own copy of the signer\'s public key: --pub FILE')
    const json = JSON.parse((await verify(original, '--json')).stdout)
    expect(json).toMatchObject({ok: true, signature: {state: 'untrusted', keyid: keys.ops!.keyid, trusted_by: null}})
  })

  it('keys trust, then keys list shows name, key id, when and by whom', async () => {
    const t = await firedrill(['keys', 'trust', keys.ops!.pub, '--name', 'ops-team', '--operator', 'J. Kim'], {env})
    expect(t.exitCode).toBe(0)
    expect(t.stdout).toContain(`Trusted ops-team: key ${keys.ops!.keyid} (project trusted keys, ${path.join(env.FIREDRILL_HOME!, 'trusted-keys', `${keys.ops!.keyid}.json`)})`)
    expect((await firedrill(['keys', 'trust', keys.ops!.pub], {env})).stdout).toContain('Already trusted as ops-team')
    const taken = await firedrill(['keys', 'trust', keys.mallory!.pub, '--name', 'ops-team'], {env})
    expect(taken.exitCode).toBe(2)
    expect(taken.stderr).toContain('the name ops-team is already given to key')
    const oldOps = await firedrill(['keys', 'trust', keys['old-ops']!.pub, '--user'], {env})
    expect(oldOps.stdout).toContain(`Trusted old-ops: key ${keys['old-ops']!.keyid} (user trusted keys, ${path.join(env.XDG_CONFIG_HOME!, 'firedrill', 'trusted-keys')}`)
    const list = await firedrill(['keys', 'list'], {env})
    expect(list.stdout).toMatch(new RegExp(`ops-team +${keys.ops!.keyid} +project +\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d by J\\. Kim +trusted`))
    expect(list.stdout).toMatch(new RegExp(`old-ops +${keys['old-ops']!.keyid} +user `))
  })

  it('signed by a trusted key: intact under --require-signature, named by the trust store', async () => {
    const r = await verify(original, '--require-signature')
    expect(r.exitCode).toBe(0)
    expect(r.stdout).toContain(`signature: valid (signed by key ${keys.ops!.keyid} (ops-team), trusted (project trusted keys))`)
  })

  it('a forged bundle (edited, manifest recomputed, re-signed with an untrusted key that it ships) fails --require-signature; the same bundle signed by a trusted key passes', async () => {
    const edit = (files: Map<string, Buffer>) => {
      const r = JSON.parse(files.get('result.json')!.toString()) as {measurements: {rto_ms: number}}
      r.measurements.rto_ms = 1000
      files.set('result.json', Buffer.from(JSON.stringify(r)))
    }
    const forged = reseal('forged', loadSigningKey(keys.mallory!.key)!, {edit})
    const plain = await verify(forged)
    expect(plain.exitCode).toBe(0) // its files match its own manifest: integrity, not authorship
    expect(plain.stdout).toContain('signature: UNTRUSTED')
    const strict = await verify(forged, '--require-signature')
    expect(strict.exitCode).toBe(1)
    expect(strict.stdout).toContain(`✗ not signed by a trusted key: signed by key ${keys.mallory!.keyid} (mallory, a name the signer gave itself)`)
    const trustedSig = reseal('resigned', loadSigningKey(keys.ops!.key)!, {edit})
    expect((await verify(trustedSig, '--require-signature')).exitCode).toBe(0)
    // Pinning a key with --pub: the forgery does not verify against it.
    const pinned = await verify(forged, '--pub', keys.ops!.pub)
    expect(pinned.exitCode).toBe(1)
    expect(pinned.stdout).toContain('✗ bad signature: attestation.dsse.json is not signed by key')
  })

  it('a forger who claims a trusted key id in the envelope but signs with their own key fails even without the flag', async () => {
    const forged = reseal('claims-ops', loadSigningKey(keys.mallory!.key)!)
    const envFile = path.join(forged, 'attestation.dsse.json')
    const envelope = JSON.parse(readFileSync(envFile, 'utf8'))
    envelope.signatures[0].keyid = keys.ops!.keyid
    writeFileSync(envFile, JSON.stringify(envelope))
    const r = await verify(forged)
    expect(r.exitCode).toBe(1)
    expect(r.stdout).toContain('✗ bad signature: attestation.dsse.json is not signed by key')
    expect(r.stdout).toContain('(ops-team, trusted)')
  })

  it('keys revoke: signatures made on or after the revocation date fail; older ones verify with a note', async () => {
    const before = reseal('signed-before', loadSigningKey(keys['old-ops']!.key)!, {at: '2026-11-01T09:00:00.000Z'})
    const after = reseal('signed-after', loadSigningKey(keys['old-ops']!.key)!, {at: '2026-11-20T09:00:00.000Z'})
    expect((await verify(after, '--require-signature')).exitCode).toBe(0)
    const rv = await firedrill(['keys', 'revoke', keys['old-ops']!.keyid.slice(0, 12), '--at', '2026-11-15', '--reason', 'laptop lost', '--operator', 'M. Park'], {env})
    expect(rv.exitCode).toBe(0)
    expect(rv.stdout).toContain(`Revoked old-ops: key ${keys['old-ops']!.keyid} from 2026-11-15T00:00:00.000Z`)
    const bad = await verify(after)
    expect(bad.exitCode).toBe(1)
    expect(bad.stdout).toContain(`✗ revoked key: signed by key ${keys['old-ops']!.keyid} (old-ops) on 2026-11-20T09:00:00.000Z, on or after its revocation on 2026-11-15T00:00:00.000Z: laptop lost`)
    const ok = await verify(before, '--require-signature')
    expect(ok.exitCode).toBe(0)
    expect(ok.stdout).toContain('note: this key was revoked on 2026-11-15T00:00:00.000Z, after this bundle was signed on 2026-11-01T09:00:00.000Z')
    expect((await firedrill(['keys', 'list'], {env})).stdout).toMatch(/old-ops .* REVOKED 2026-11-15 00:00 by M\. Park \(laptop lost\)/)
    const again = await firedrill(['keys', 'trust', keys['old-ops']!.pub], {env})
    expect(again.exitCode).toBe(2)
    expect(again.stderr).toContain('was revoked on 2026-11-15T00:00:00.000Z')
    // Signing with a revoked key is refused before anything starts.
    const run = await firedrill(['run', 'drills/kill-primary.yaml', '--key', keys['old-ops']!.key], {env})
    expect(run.exitCode).toBe(2)
    expect(run.stderr).toContain(`the signing key ${keys['old-ops']!.keyid} (old-ops) was revoked on 2026-11-15T00:00:00.000Z`)
  })

  it('the HTML report and --json say the signature is untrusted, and who signed', async () => {
    const forged = reseal('forged-for-report', loadSigningKey(keys.mallory!.key)!)
    const html = await firedrill(['report', forged, '--reporter', 'html'], {env})
    expect(html.exitCode).toBe(0)
    expect(html.stdout).toMatch(/<p class="bad" id="signature-status">UNTRUSTED SIGNATURE: valid only with the public key shipped in the bundle \(key [0-9a-f]{64} \(mallory\)\)/)
    expect(html.stdout).toContain(`<p id="signer">Signing key: <code>${keys.mallory!.keyid}</code> (mallory)</p>`)
    const json = JSON.parse((await firedrill(['report', forged, '--json'], {env})).stdout)
    expect(json.signature).toMatchObject({state: 'untrusted', keyid: keys.mallory!.keyid, name: 'mallory'})
  })

  it('a damaged trusted-key file is exit 2 naming the file and field', async () => {
    const file = path.join(env.FIREDRILL_HOME!, 'trusted-keys', `${keys.ops!.keyid}.json`)
    const saved = readFileSync(file, 'utf8')
    writeFileSync(file, saved.replace(/"keyid": "[0-9a-f]+"/, `"keyid": "${keys.mallory!.keyid}"`))
    try {
      const r = await verify(original)
      expect(r.exitCode).toBe(2)
      expect(r.stderr).toContain(`${file}: keyid: says ${keys.mallory!.keyid} but public_key's id is ${keys.ops!.keyid}: the file was edited`)
    } finally {
      writeFileSync(file, saved)
    }
  })
})
