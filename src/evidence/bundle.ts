import {accessSync, constants, existsSync, mkdirSync, readdirSync, renameSync, rmdirSync, rmSync, statSync} from 'node:fs'
import {randomBytes} from 'node:crypto'
import path from 'node:path'

import {ExitCode, FiredrillError, errorMessage} from '../errors.js'
import {atomicWriter, fsyncDir, type FileWriter} from '../util/atomic.js'
import {sha256hex} from './chain.js'
import {envelope, PREDICATE_TYPE, STATEMENT_TYPE, type InTotoStatement, type SigningKey} from './signing.js'

export const MANIFEST = 'manifest.json'
export const ATTESTATION = 'attestation.dsse.json'
export const SIGNER_PUB = 'signer.pub.pem'
/** The manifest's digests in `sha256sum` format, for `sha256sum -c` (VERIFY.md); a subject of the signed statement. */
export const SHA256SUMS = 'SHA256SUMS'
/** The files that seal a bundle and so cannot be listed in its manifest. */
export const SEAL_FILES: readonly string[] = [MANIFEST, ATTESTATION, SIGNER_PUB, SHA256SUMS]
export const MANIFEST_FORMAT = 'firedrill-evidence/1'

export interface ManifestFile {
  path: string
  sha256: string
  bytes: number
}

export interface Manifest {
  format: typeof MANIFEST_FORMAT
  /** What was sealed: a run's bundle (absent in bundles from before kinds), a period report, or a sweep (its cells' run bundles under cells/). */
  kind?: 'run' | 'period-report' | 'sweep'
  run_id: string
  drill: string
  verdict: string
  created_at: string
  /** False: the bundle carries no signature and proves only that files match this manifest. */
  signed: boolean
  keyid: string | null
  /** The signing key's name as the signer knew it (a claim: `evidence verify` names a key by the trust store's name). Absent in bundles from before names. */
  key_name?: string | null
  files: ManifestFile[]
}

export interface SealMeta {
  kind?: 'run' | 'period-report' | 'sweep'
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
    kind: meta.kind ?? 'run',
    signed: key !== undefined,
    keyid: key?.keyid ?? null,
    key_name: key?.name ?? null,
    files: [...files.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([p, data]) => ({path: p, sha256: sha256hex(data), bytes: data.length})),
  }
  const manifestBytes = Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`)
  const sums = sha256sums(manifest)
  const statement: InTotoStatement = {
    _type: STATEMENT_TYPE,
    subject: [
      {name: MANIFEST, digest: {sha256: sha256hex(manifestBytes)}},
      {name: SHA256SUMS, digest: {sha256: sha256hex(sums)}},
    ],
    predicateType: PREDICATE_TYPE,
    predicate: {kind: meta.kind ?? 'run', run_id: meta.run_id, drill: meta.drill, verdict: meta.verdict, created_at: meta.created_at, files: manifest.files.length, signer: key ? {keyid: key.keyid, name: key.name} : null},
  }
  const out = new Map(files)
  out.set(MANIFEST, manifestBytes)
  out.set(SHA256SUMS, sums)
  out.set(ATTESTATION, Buffer.from(`${JSON.stringify(envelope(statement, key), null, 2)}\n`))
  if (key) out.set(SIGNER_PUB, Buffer.from(key.publicPem))
  return out
}

/** The manifest's files as `sha256sum` prints them: `<hex>  <path>`, one a line, in the manifest's order. */
export function sha256sums(manifest: Pick<Manifest, 'files'>): Buffer {
  return Buffer.from(manifest.files.map((f) => `${f.sha256}  ${f.path}\n`).join(''))
}

/** Refuse, before anything starts, an output directory that already holds files, or one that cannot be written. */
export function checkOutDir(dir: string): void {
  if (existsSync(dir) && statSync(dir).isDirectory() && readdirSync(dir).length > 0) {
    throw new EvidenceWriteError(`--out ${dir} already exists and is not empty; evidence is never written over`, ['choose a new directory, or leave --out out for .firedrill/runs/<run-id>'], ExitCode.BadInput)
  }
  checkWritableDir(dir, `--out ${dir}`, ['choose a directory on a writable file system with --out, or leave --out out for .firedrill/runs/<run-id>'])
}

const WRITE_PROBLEMS: Record<string, string> = {
  EROFS: 'is on a read-only file system',
  EACCES: 'is not writable by this user',
  EPERM: 'is not writable (permission or immutable flag)',
}

/**
 * Refuse, before anything starts, a directory that could not be created or written: a path through a
 * regular file, a read-only file system, no permission. Nothing is created here: the check asks the
 * nearest directory that exists whether it may be written (access(2), which sees read-only mounts even for root).
 */
export function checkWritableDir(dir: string, what: string, suggestions: string[]): void {
  let at = path.resolve(dir)
  for (;;) {
    let isDir: boolean
    try {
      isDir = statSync(at).isDirectory()
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      if ((code === 'ENOENT' || code === 'ENOTDIR') && path.dirname(at) !== at) {
        at = path.dirname(at)
        continue
      }
      throw new EvidenceWriteError(`${what} cannot be written: ${at}: ${errorMessage(error)}`, suggestions, ExitCode.BadInput)
    }
    if (!isDir) throw new EvidenceWriteError(`${what} cannot be written: ${at} is a file, not a directory (ENOTDIR)`, suggestions, ExitCode.BadInput)
    try {
      accessSync(at, constants.W_OK | constants.X_OK)
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? ''
      const problem = WRITE_PROBLEMS[code] ? `${WRITE_PROBLEMS[code]} (${code})` : `refuses writes: ${errorMessage(error)}`
      throw new EvidenceWriteError(`${what} cannot be written: ${at} ${problem}`, suggestions, ExitCode.BadInput)
    }
    return
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
    throw new EvidenceWriteError(`could not write the evidence bundle ${dir}: ${errorMessage(error)}; nothing was left there`, writeRemedies(error, parent), ExitCode.Aborted, {cause: error})
  }
  return {bytes}
}

/** What to do about a write that failed half-way, by its cause. */
export function writeRemedies(error: unknown, dir: string): string[] {
  const elsewhere = 'write the evidence elsewhere (--out DIR, or FIREDRILL_HOME), then run the drill again'
  switch ((error as NodeJS.ErrnoException).code) {
    case 'ENOSPC':
    case 'EDQUOT':
      return [`free space on the file system holding ${dir} (df -h ${dir}), or ${elsewhere}`]
    case 'EROFS':
    case 'EACCES':
    case 'EPERM':
      return [`${dir} cannot be written: ${elsewhere}`]
    default:
      return [`check the file system holding ${dir}, or ${elsewhere}`]
  }
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
