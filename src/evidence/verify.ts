import {createPublicKey, type KeyObject} from 'node:crypto'
import {readdirSync, readFileSync, statSync} from 'node:fs'
import path from 'node:path'

import {ConfigError} from '../errors.js'
import {ATTESTATION, MANIFEST, MANIFEST_FORMAT, SEAL_FILES, SIGNER_PUB, type Manifest} from './bundle.js'
import {sha256hex, verifyChain} from './chain.js'
import {IN_TOTO_PAYLOAD_TYPE, keyId, verifySignature, type DsseEnvelope, type InTotoStatement} from './signing.js'
import {unpackTarGz} from './tar.js'
import type {SignatureState} from '../model/evidence.js'

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

export type {SignatureState} from '../model/evidence.js'

export interface VerifyReport {
  source: string
  ok: boolean
  run_id: string | null
  drill: string | null
  verdict: string | null
  files: {checked: number; modified: string[]; missing: string[]; added: string[]}
  chain: {ok: boolean; events: number; broken: {line: number; reason: string}[]}
  signature: {state: SignatureState; keyid: string | null; pinned: boolean; detail: string}
  /** Every problem, one sentence each; empty when intact. */
  problems: string[]
}

/**
 * Check a bundle: every file against the manifest (modified, missing, added), the events' hash chain,
 * the manifest against the signed statement, and the signature (against --pub when given, else the key
 * the bundle carries). An unsigned bundle is intact when its files match, and says it is unsigned.
 */
export function verifyBundle(bundle: OpenedBundle, opts: {trustedKey?: KeyObject; requireSignature?: boolean} = {}): VerifyReport {
  const problems: string[] = []
  const report: VerifyReport = {
    source: bundle.source,
    ok: false,
    run_id: null,
    drill: null,
    verdict: null,
    files: {checked: 0, modified: [], missing: [], added: []},
    chain: {ok: false, events: 0, broken: []},
    signature: {state: 'unsigned', keyid: null, pinned: opts.trustedKey !== undefined, detail: ''},
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
  } else if (!report.files.missing.includes('events.jsonl')) problems.push('missing: events.jsonl')

  checkSeal(bundle, manifestBytes, manifest, opts, report)
  report.ok = problems.length === 0
  return report
}

function checkSeal(bundle: OpenedBundle, manifestBytes: Buffer | undefined, manifest: Manifest | undefined, opts: {trustedKey?: KeyObject; requireSignature?: boolean}, report: VerifyReport): void {
  const {problems, signature} = report
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

  const sigs = Array.isArray(env.signatures) ? env.signatures : []
  if (sigs.length === 0) {
    signature.state = 'unsigned'
    signature.detail = 'UNSIGNED: files were checked against the manifest only; anyone could have rewritten both'
    if (manifest?.signed) problems.push('signature removed: the manifest says the bundle was signed, the attestation carries no signature')
    if (opts.requireSignature) problems.push('unsigned: a signature is required')
    return
  }
  const sig = sigs[0]!
  signature.keyid = sig.keyid
  let key = opts.trustedKey
  if (!key) {
    const pub = bundle.files.get(SIGNER_PUB)
    if (!pub) {
      problems.push(`missing: ${SIGNER_PUB} (pass --pub to verify the signature with your copy of the public key)`)
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
  if (!verifySignature(env, sig.sig, key)) {
    signature.state = 'invalid'
    signature.detail = `the signature does not verify with key ${id.slice(0, 16)}…`
    problems.push(`bad signature: ${ATTESTATION} is not signed by key ${id.slice(0, 16)}…${opts.trustedKey ? ' (--pub)' : ''}`)
    return
  }
  if (sig.keyid !== id) problems.push(`bad signature: the envelope names key ${String(sig.keyid).slice(0, 16)}… but was signed by ${id.slice(0, 16)}…`)
  if (manifest && manifest.keyid !== id) problems.push(`modified: ${MANIFEST} names key ${String(manifest.keyid).slice(0, 16)}… but the bundle was signed by ${id.slice(0, 16)}…`)
  signature.keyid = id
  signature.state = opts.trustedKey ? 'valid' : 'untrusted'
  signature.detail = opts.trustedKey
    ? `signed by the key given with --pub (${id.slice(0, 16)}…)`
    : `signed by key ${id.slice(0, 16)}…, the public key shipped in the bundle; pass --pub to check it is yours`
}
