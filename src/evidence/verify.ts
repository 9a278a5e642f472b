import {createPublicKey, type KeyObject} from 'node:crypto'
import {readdirSync, readFileSync, statSync} from 'node:fs'
import path from 'node:path'

import {ConfigError} from '../errors.js'
import {ATTESTATION, MANIFEST, MANIFEST_FORMAT, SEAL_FILES, SHA256SUMS, SIGNER_PUB, sha256sums, type Manifest} from './bundle.js'
import {sha256hex, verifyChain} from './chain.js'
import {IN_TOTO_PAYLOAD_TYPE, keyId, verifySignature, type DsseEnvelope, type InTotoStatement} from './signing.js'
import {unpackTarGz} from './tar.js'
import type {SignatureCheck, SignatureState} from '../model/evidence.js'
import {TrustStore, trustDir} from './trust.js'

/** A bundle's files, read from a run directory or a tarball made by `evidence pack`. */
export interface OpenedBundle {
  source: string
  kind: 'directory' | 'tarball'
  files: Map<string, Buffer>
}

export function openBundle(source: string): OpenedBundle {
  let stat
  try {
    stat = statSync(source)
  } catch {
    throw new ConfigError([{file: source, field: '', message: 'no such run directory or tarball'}])
  }
  if (stat.isDirectory()) {
    const files = new Map<string, Buffer>()
    for (const rel of walk(source)) files.set(rel, readFileSync(path.join(source, rel)))
    return {source, kind: 'directory', files}
  }
  let entries
  try {
    entries = unpackTarGz(readFileSync(source))
  } catch (error) {
    throw new ConfigError([{file: source, field: '', message: `not an evidence directory or tar.gz: ${(error as Error).message}`}])
  }
  // A packed bundle holds one top-level directory, named after the run.
  const top = entries[0]?.path.split('/')[0]
  const files = new Map<string, Buffer>()
  for (const e of entries) {
    const rel = top && entries.every((x) => x.path.startsWith(`${top}/`)) ? e.path.slice(top.length + 1) : e.path
    files.set(rel, e.data)
  }
  return {source, kind: 'tarball', files}
}

function walk(dir: string, base = dir): string[] {
  const out: string[] = []
  for (const entry of readdirSync(dir, {withFileTypes: true})) {
    const full = path.join(dir, entry.name)
    if (entry.isDirectory()) out.push(...walk(full, base))
    else out.push(path.relative(base, full).split(path.sep).join('/'))
  }
  return out.sort()
}

export type {SignatureCheck, SignatureState} from '../model/evidence.js'

export interface VerifyReport {
  source: string
  /** A run's bundle, or a sealed period report (report --period --out DIR --key). */
  kind: 'run' | 'period-report' | 'sweep'
  ok: boolean
  run_id: string | null
  drill: string | null
  verdict: string | null
  files: {checked: number; modified: string[]; missing: string[]; added: string[]}
  chain: {ok: boolean; events: number; broken: {line: number; reason: string}[]}
  signature: SignatureCheck
  /** Every problem, one sentence each; empty when intact. */
  problems: string[]
}

export interface VerifyOptions {
  /** --pub: the one key to check the signature against. */
  trustedKey?: KeyObject
  /** The trusted keys (project and user); default none. */
  trust?: TrustStore
  /** Intact only when signed by a trusted key (--pub or the trust store). */
  requireSignature?: boolean
}

/**
 * Check a bundle: every file against the manifest (modified, missing, added), the events' hash chain,
 * the manifest and SHA256SUMS against the signed statement, and the signature: against --pub when given,
 * else the trusted key with the envelope's key id, else the key the bundle carries (untrusted: integrity,
 * not authorship). An unsigned or untrusted bundle is intact when its files match, and says so, unless a
 * signature by a trusted key is required.
 */
export function verifyBundle(bundle: OpenedBundle, opts: VerifyOptions = {}): VerifyReport {
  const problems: string[] = []
  const report: VerifyReport = {
    source: bundle.source,
    kind: 'run',
    ok: false,
    run_id: null,
    drill: null,
    verdict: null,
    files: {checked: 0, modified: [], missing: [], added: []},
    chain: {ok: false, events: 0, broken: []},
    signature: {state: 'unsigned', keyid: null, name: null, trusted_by: null, signed_at: null, revoked_at: null, pinned: opts.trustedKey !== undefined, detail: ''},
    problems,
  }
  const manifestBytes = bundle.files.get(MANIFEST)
  let manifest: Manifest | undefined
  if (!manifestBytes) problems.push(`missing: ${MANIFEST} (nothing can be checked without it)`)
  else {
    try {
      manifest = JSON.parse(manifestBytes.toString('utf8')) as Manifest
      if (manifest.format !== MANIFEST_FORMAT || !Array.isArray(manifest.files)) throw new Error(`format is not ${MANIFEST_FORMAT}`)
    } catch (error) {
      problems.push(`modified: ${MANIFEST} is not a firedrill manifest (${(error as Error).message})`)
      manifest = undefined
    }
  }

  if (manifest) {
    report.run_id = manifest.run_id
    report.drill = manifest.drill
    report.verdict = manifest.verdict
    report.kind = manifest.kind === 'period-report' || manifest.kind === 'sweep' ? manifest.kind : 'run'
    const listed = new Set<string>()
    for (const f of manifest.files) {
      listed.add(f.path)
      const data = bundle.files.get(f.path)
      report.files.checked++
      if (!data) report.files.missing.push(f.path)
      else if (data.length !== f.bytes || sha256hex(data) !== f.sha256) report.files.modified.push(f.path)
    }
    for (const name of bundle.files.keys()) if (!listed.has(name) && !SEAL_FILES.includes(name)) report.files.added.push(name)
    for (const p of report.files.modified) problems.push(`modified: ${p}`)
    for (const p of report.files.missing) problems.push(`missing: ${p}`)
    for (const p of report.files.added) problems.push(`added: ${p}`)
  }

  const events = bundle.files.get('events.jsonl')
  if (events) {
    report.chain = verifyChain(events.toString('utf8'))
    for (const b of report.chain.broken) problems.push(`hash chain broken: events.jsonl line ${b.line} ${b.reason}`)
  } else if (!report.files.missing.includes('events.jsonl') && report.kind === 'run') problems.push('missing: events.jsonl')
  // A sweep holds each cell's run bundle under cells/<run>/: every file is in the sweep's manifest, and each run's events are chained.
  if (report.kind === 'sweep') {
    for (const [name, data] of bundle.files) {
      if (!/^cells\/[^/]+\/events\.jsonl$/.test(name)) continue
      const chain = verifyChain(data.toString('utf8'))
      report.chain.events += chain.events
      for (const b of chain.broken) problems.push(`hash chain broken: ${name} line ${b.line} ${b.reason}`)
    }
    report.chain.ok = !problems.some((p) => p.startsWith('hash chain broken'))
  }

  checkSeal(bundle, manifestBytes, manifest, opts, report)
  report.ok = problems.length === 0
  return report
}

const short = (id: string | null) => `${String(id).slice(0, 16)}…`

function checkSeal(bundle: OpenedBundle, manifestBytes: Buffer | undefined, manifest: Manifest | undefined, opts: VerifyOptions, report: VerifyReport): void {
  const {problems, signature} = report
  const trust = opts.trust ?? TrustStore.empty()
  const raw = bundle.files.get(ATTESTATION)
  if (!raw) {
    problems.push(`missing: ${ATTESTATION}`)
    signature.state = 'invalid'
    signature.detail = 'no attestation'
    return
  }
  let env: DsseEnvelope
  let statement: InTotoStatement
  try {
    env = JSON.parse(raw.toString('utf8')) as DsseEnvelope
    if (env.payloadType !== IN_TOTO_PAYLOAD_TYPE) throw new Error(`payloadType is ${env.payloadType}`)
    statement = JSON.parse(Buffer.from(env.payload, 'base64').toString('utf8')) as InTotoStatement
  } catch (error) {
    problems.push(`modified: ${ATTESTATION} is not a DSSE envelope of an in-toto statement (${(error as Error).message})`)
    signature.state = 'invalid'
    signature.detail = 'unreadable attestation'
    return
  }
  const subject = statement.subject?.find((s) => s.name === MANIFEST)
  if (manifestBytes && subject?.digest?.sha256 !== sha256hex(manifestBytes)) problems.push(`modified: ${MANIFEST} does not match the digest in the signed statement`)
  // SHA256SUMS (bundles since VERIFY.md) must be the manifest's digests and the one the statement names.
  const sums = bundle.files.get(SHA256SUMS)
  const sumsSubject = statement.subject?.find((s) => s.name === SHA256SUMS)
  if (sums || sumsSubject) {
    if (!sums) problems.push(`missing: ${SHA256SUMS}`)
    else if (sumsSubject?.digest?.sha256 !== sha256hex(sums)) problems.push(`modified: ${SHA256SUMS} does not match the digest in the signed statement`)
    else if (manifest && !sha256sums(manifest).equals(sums)) problems.push(`modified: ${SHA256SUMS} does not list the manifest's digests`)
  }
  const signedAt = typeof statement.predicate?.created_at === 'string' ? statement.predicate.created_at : null
  signature.signed_at = signedAt

  const sigs = Array.isArray(env.signatures) ? env.signatures : []
  if (sigs.length === 0) {
    signature.state = 'unsigned'
    signature.detail = 'UNSIGNED: files were checked against the manifest only; anyone could have rewritten both'
    if (manifest?.signed) problems.push('signature removed: the manifest says the bundle was signed, the attestation carries no signature')
    if (opts.requireSignature) problems.push('unsigned: a signature by a trusted key is required, and this bundle carries none')
    return
  }
  const sig = sigs[0]!
  signature.keyid = sig.keyid
  // The key to check with: --pub when given; else the trusted key with the id the envelope names; else the key the bundle ships.
  let key = opts.trustedKey
  let by: SignatureCheck['trusted_by'] = key ? 'pub' : null
  const listed = key ? undefined : trust.lookup(String(sig.keyid))
  if (!key && listed) {
    key = listed.key
    by = listed.scope
  }
  if (!key) {
    const pub = bundle.files.get(SIGNER_PUB)
    if (!pub) {
      problems.push(`missing: ${SIGNER_PUB}, and key ${short(sig.keyid)} is not among the trusted keys (pass --pub to verify the signature with your copy of the public key)`)
      signature.state = 'invalid'
      signature.detail = 'no public key to check the signature with'
      return
    }
    try {
      key = createPublicKey(pub)
    } catch (error) {
      problems.push(`modified: ${SIGNER_PUB} is not a public key (${(error as Error).message})`)
      signature.state = 'invalid'
      return
    }
  }
  const id = keyId(key)
  const known = trust.lookup(id)
  signature.name = known?.name ?? manifest?.key_name ?? null
  if (!verifySignature(env, sig.sig, key)) {
    signature.state = 'invalid'
    signature.detail = `the signature does not verify with key ${short(id)}${by === 'pub' ? ' (--pub)' : by ? ` (trusted, ${by})` : ' (shipped in the bundle)'}`
    problems.push(`bad signature: ${ATTESTATION} is not signed by key ${short(id)}${by === 'pub' ? ' (--pub)' : by ? ` (${known?.name}, trusted)` : ''}`)
    return
  }
  if (sig.keyid !== id) problems.push(`bad signature: the envelope names key ${short(sig.keyid)} but was signed by ${short(id)}`)
  if (manifest && manifest.keyid !== id) problems.push(`modified: ${MANIFEST} names key ${short(manifest.keyid)} but the bundle was signed by ${short(id)}`)
  signature.keyid = id
  const named = signature.name ? ` (${signature.name}${known ? '' : ', a name the signer gave itself'})` : ''
  if (known?.revoked_at) {
    signature.revoked_at = known.revoked_at
    const why = known.revoke_reason ? `: ${known.revoke_reason}` : ''
    // An unreadable date cannot show the signature came before the revocation: it fails.
    const at = signedAt === null ? Number.NaN : Date.parse(signedAt)
    if (Number.isNaN(at) || at >= Date.parse(known.revoked_at)) {
      signature.state = 'revoked'
      signature.detail = `signed by key ${id}${named} on ${signedAt ?? 'an unknown date'}, on or after its revocation on ${known.revoked_at}${why}`
      problems.push(`revoked key: signed by key ${id}${named} on ${signedAt ?? 'an unknown date'}, on or after its revocation on ${known.revoked_at}${why}`)
      return
    }
  }
  const revokedNote = known?.revoked_at ? `; note: this key was revoked on ${known.revoked_at}, after this bundle was signed on ${signedAt}` : ''
  if (by === 'pub') {
    signature.trusted_by = 'pub'
    signature.state = 'valid'
    signature.detail = `signed by key ${id}${named}, the key given with --pub${revokedNote}`
    return
  }
  if (known) {
    signature.trusted_by = known.scope
    signature.state = 'valid'
    signature.detail = `signed by key ${id}${named}, trusted (${known.scope} trusted keys)${revokedNote}`
    return
  }
  signature.state = 'untrusted'
  signature.detail =
    `UNTRUSTED: the signature is valid only with the public key shipped in the bundle, key ${id}${named}, which is not among the trusted keys; ` +
    'whoever rewrote the bundle could have signed it with a key of their own. It proves integrity, not who signed'
  if (opts.requireSignature) {
    problems.push(
      `not signed by a trusted key: signed by key ${id}${named}, which is not among the trusted keys (${trustDir('project')}, ${trustDir('user')}). ` +
        `If you have checked that key id with its owner: firedrill keys trust ${SIGNER_PUB_HINT} --name NAME; or verify with your own copy of the signer's public key: --pub FILE`,
    )
  }
}

/** Where the shipped public key sits, for the remedy. */
const SIGNER_PUB_HINT = `BUNDLE/${SIGNER_PUB}`
