import {existsSync, mkdirSync, readdirSync, renameSync, rmdirSync, rmSync} from 'node:fs'
import {randomBytes} from 'node:crypto'
import path from 'node:path'

import {ExitCode, FiredrillError, errorMessage} from '../errors.js'
import {atomicWriter, fsyncDir, type FileWriter} from './atomic.js'
import {sha256hex} from './chain.js'
import {envelope, PREDICATE_TYPE, STATEMENT_TYPE, type InTotoStatement, type SigningKey} from './signing.js'

export const MANIFEST = 'manifest.json'
export const ATTESTATION = 'attestation.dsse.json'
export const SIGNER_PUB = 'signer.pub.pem'
/** The files that seal a bundle and so cannot be listed in its manifest. */
export const SEAL_FILES: readonly string[] = [MANIFEST, ATTESTATION, SIGNER_PUB]
export const MANIFEST_FORMAT = 'firedrill-evidence/1'

export interface ManifestFile {
  path: string
  sha256: string
  bytes: number
}

export interface Manifest {
  format: typeof MANIFEST_FORMAT
  run_id: string
  drill: string
  verdict: string
  created_at: string
  /** False: the bundle carries no signature and proves only that files match this manifest. */
  signed: boolean
  keyid: string | null
  files: ManifestFile[]
}

export interface SealMeta {
  run_id: string
  drill: string
  verdict: string
  created_at: string
}

/** Add manifest.json (SHA-256 of every file), and the in-toto Statement over it in a DSSE envelope, signed when a key is given. */
export function seal(files: ReadonlyMap<string, Buffer>, meta: SealMeta, key: SigningKey | undefined): Map<string, Buffer> {
  for (const name of files.keys()) {
    if (SEAL_FILES.includes(name)) throw new Error(`${name} is reserved for the seal`)
    if (name.startsWith('/') || name.split('/').includes('..')) throw new Error(`bundle path ${name} escapes the bundle`)
  }
  const manifest: Manifest = {
    format: MANIFEST_FORMAT,
    ...meta,
    signed: key !== undefined,
    keyid: key?.keyid ?? null,
    files: [...files.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([p, data]) => ({path: p, sha256: sha256hex(data), bytes: data.length})),
  }
  const manifestBytes = Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`)
  const statement: InTotoStatement = {
    _type: STATEMENT_TYPE,
    subject: [{name: MANIFEST, digest: {sha256: sha256hex(manifestBytes)}}],
    predicateType: PREDICATE_TYPE,
    predicate: {run_id: meta.run_id, drill: meta.drill, verdict: meta.verdict, created_at: meta.created_at, files: manifest.files.length},
  }
  const out = new Map(files)
  out.set(MANIFEST, manifestBytes)
  out.set(ATTESTATION, Buffer.from(`${JSON.stringify(envelope(statement, key), null, 2)}\n`))
  if (key) out.set(SIGNER_PUB, Buffer.from(key.publicPem))
  return out
}

/** Refuse, before anything starts, an output directory that already holds files. */
export function checkOutDir(dir: string): void {
  if (existsSync(dir) && readdirSync(dir).length > 0) {
    throw new EvidenceWriteError(`--out ${dir} already exists and is not empty; evidence is never written over`, ['choose a new directory, or leave --out out for .firedrill/runs/<run-id>'], ExitCode.BadInput)
  }
}

/**
 * Write a sealed bundle so that `dir` either holds all of it or does not exist: every file is written
 * atomically into a hidden sibling directory, which is renamed into place last. On any error the
 * partial directory is removed and nothing is left under `dir`.
 */
export function writeBundleDir(dir: string, files: ReadonlyMap<string, Buffer>, writer: FileWriter = atomicWriter): {bytes: number} {
  const parent = path.dirname(path.resolve(dir))
  mkdirSync(parent, {recursive: true})
  const partial = path.join(parent, `.${path.basename(dir)}.partial-${randomBytes(4).toString('hex')}`)
  let bytes = 0
  try {
    mkdirSync(partial)
    for (const [name, data] of files) {
      writer.write(path.join(partial, name), data, name.endsWith('.key') ? 0o600 : 0o644)
      bytes += data.length
    }
    if (existsSync(dir)) rmdirSync(dir) // an empty directory made by hand (checked earlier)
    renameSync(partial, dir)
    fsyncDir(parent)
  } catch (error) {
    rmSync(partial, {recursive: true, force: true})
    throw new EvidenceWriteError(`could not write the evidence bundle ${dir}: ${errorMessage(error)}; nothing was left there`, [], ExitCode.Aborted, {cause: error})
  }
  return {bytes}
}

export class EvidenceWriteError extends FiredrillError {
  readonly code = 'evidence_write_failed'
  constructor(
    message: string,
    suggestions: string[],
    readonly exitCode: ExitCode,
    options?: {cause?: unknown},
  ) {
    super(message, suggestions, options)
  }
}
