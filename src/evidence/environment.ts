import {execFileSync} from 'node:child_process'
import {readFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import type {EngineInfo} from '../engine/engine.js'
import {PACKAGE_ROOT} from '../paths.js'

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

export function firedrillVersion(): string {
  try {
    return (JSON.parse(readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as {version: string}).version
  } catch {
    return 'unknown'
  }
}

export function operatorOf(flag: string | undefined): Environment['operator'] {
  if (flag) return {name: flag, source: 'flag'}
  let name = process.env.SUDO_USER || process.env.LOGNAME || process.env.USER || ''
  if (!name) {
    try {
      name = os.userInfo().username
    } catch {
      name = 'unknown'
    }
  }
  return {name, source: 'login'}
}

export function hostInfo(): Environment['host'] {
  return {hostname: os.hostname(), platform: os.platform(), release: os.release(), arch: os.arch()}
}

/** The commit of the git repository holding `file`, and whether that file has uncommitted changes; null outside a repository. */
export function gitCommitOf(file: string): Environment['git'] {
  const dir = path.dirname(file)
  const git = (args: string[]) => execFileSync('git', ['-C', dir, ...args], {encoding: 'utf8', timeout: 5000, stdio: ['ignore', 'pipe', 'ignore']}).trim()
  try {
    const root = git(['rev-parse', '--show-toplevel'])
    const commit = git(['rev-parse', 'HEAD'])
    const dirty = git(['status', '--porcelain', '--', file]) !== ''
    return {root, commit, dirty}
  } catch {
    return null
  }
}
