import {existsSync} from 'node:fs'
import path from 'node:path'

import {writeFileAtomic} from '../util/atomic.js'
import {MANIFEST, type Manifest} from './bundle.js'
import {EvidenceWriteError} from './bundle.js'
import {ExitCode} from '../errors.js'
import {packTarGz} from './tar.js'
import {openBundle, verifyBundle, type VerifyReport} from './verify.js'

export interface PackResult {
  file: string
  bytes: number
  files: number
  verify: VerifyReport
  packed: boolean
}

/** One tar.gz of a run directory, its files under one top-level directory named after the run; a bundle that does not verify is not packed unless forced. */
export function packBundle(dir: string, opts: {out?: string; force?: boolean} = {}): PackResult {
  const bundle = openBundle(dir)
  const verify = verifyBundle(bundle)
  const out = path.resolve(opts.out ?? `${path.resolve(dir).replace(/\/+$/, '')}.tar.gz`)
  if (!verify.ok && !opts.force) return {file: out, bytes: 0, files: bundle.files.size, verify, packed: false}
  if (existsSync(out)) throw new EvidenceWriteError(`${out} already exists; a packed bundle is never written over`, ['choose another name with --out'], ExitCode.BadInput)
  let created = new Date()
  try {
    created = new Date((JSON.parse(bundle.files.get(MANIFEST)!.toString('utf8')) as Manifest).created_at)
  } catch {}
  const top = verify.run_id ?? path.basename(path.resolve(dir))
  const entries = [...bundle.files.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([p, data]) => ({path: `${top}/${p}`, data}))
  const gz = packTarGz(entries, Number.isNaN(created.getTime()) ? new Date() : created)
  writeFileAtomic(out, gz)
  return {file: out, bytes: gz.length, files: entries.length, verify, packed: true}
}
