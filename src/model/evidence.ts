/** environment.json of an evidence bundle. Shared vocabulary: this module imports nothing else from src/. */

import type {EngineInfo} from './result.js'

/** environment.json: who ran what, where, when, against which images. */
export interface Environment {
  run_id: string
  drill: string
  topology: string
  firedrill: {version: string; node: string}
  engine: EngineInfo
  images: {ref: string; id: string | null; repo_digests: string[]}[]
  /** The drill and topology files as run: their SHA-256 before redaction, and where the (redacted) copy sits in the bundle. */
  inputs: {role: 'drill' | 'topology'; path: string; sha256: string; bundle_path: string; redacted: boolean}[]
  /** The git commit of the repository holding the drill file, when there is one. */
  git: {root: string; commit: string; dirty: boolean} | null
  operator: {name: string; source: 'flag' | 'login'}
  host: {hostname: string; platform: string; release: string; arch: string}
  time: {
    started_at: string
    finished_at: string
    /** The drill's duration on the monotonic clock. */
    duration_ms: number
    evidence_started_at: string
    /** Collecting logs and inspect output, on the monotonic clock. */
    evidence_collect_ms: number
  }
  secrets_redacted: number
  /** What the engine could not give when the evidence was collected (it was gone, say); absent in older bundles. */
  not_collected?: string[]
}

/**
 * valid: signed by a trusted key (the trust store, or --pub); untrusted: the signature verifies only with
 * the public key shipped in the bundle, which anyone who rewrote the bundle could have shipped; revoked:
 * signed by a trusted key on or after the date it was revoked; invalid: does not verify; unsigned: none.
 */
export type SignatureState = 'valid' | 'invalid' | 'unsigned' | 'untrusted' | 'revoked'

/** Where a trusted key is listed: the project's trusted keys or the user's. */
export type TrustScope = 'project' | 'user'

export interface SignatureCheck {
  state: SignatureState
  /** The signer's key id (SHA-256 of its public key), full. */
  keyid: string | null
  /** The trust store's name for the key; else the name the signer claimed in the manifest, if any. */
  name: string | null
  /** Which list made the key trusted: --pub, the project's or the user's trusted keys; null when none did. */
  trusted_by: 'pub' | TrustScope | null
  /** When the signer says it signed (the signed statement's created_at). */
  signed_at: string | null
  revoked_at: string | null
  pinned: boolean
  detail: string
}
