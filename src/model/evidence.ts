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

/** What checking a bundle's signature found: valid against a pinned key, valid only against the key it ships (untrusted), invalid, or none. */
export type SignatureState = 'valid' | 'invalid' | 'unsigned' | 'untrusted'
