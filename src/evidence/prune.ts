import {existsSync, readdirSync, rmSync, statSync} from 'node:fs'
import path from 'node:path'

import {ConfigError} from '../errors.js'
import type {HistoryStore} from '../history/store.js'
import {MANIFEST, type Manifest} from './bundle.js'
import {sha256hex} from './chain.js'
import {openBundle} from './verify.js'

/** A retention period as regulators write it: `2y`, `18mo`, `90d`, `6w`. */
export interface Retention {
  text: string
  years: number
  months: number
  days: number
}

export function parseRetention(text: string): Retention {
  const m = text.trim().match(/^(\d+)(y|mo|w|d)$/)
  if (!m || Number(m[1]) === 0) throw new ConfigError([{file: '--older-than', field: 'older-than', message: `"${text}" is not a retention period; write 2y, 18mo, 6w or 90d`}])
  const n = Number(m[1])
  return {text: text.trim(), years: m[2] === 'y' ? n : 0, months: m[2] === 'mo' ? n : 0, days: m[2] === 'w' ? n * 7 : m[2] === 'd' ? n : 0}
}

/** The instant before which a bundle is past retention: now minus the period, in calendar terms (UTC). */
export function retentionCutoff(r: Retention, now: Date): Date {
  const d = new Date(now.getTime())
  d.setUTCFullYear(d.getUTCFullYear() - r.years)
  d.setUTCMonth(d.getUTCMonth() - r.months)
  d.setUTCDate(d.getUTCDate() - r.days)
  return d
}

export interface PruneEntry {
  path: string
  run_id: string | null
  /** When the bundle was sealed (its manifest's created_at): what its age is measured from. */
  created_at: string | null
  manifest_sha256: string | null
  action: 'removed' | 'would remove' | 'kept: referenced' | 'kept: within retention' | 'kept: unreadable'
  /** The period reports (their paths) that still list it. */
  referenced_by: string[]
  detail: string
}

/**
 * Bundles (directories with a manifest, or .tar.gz) in `dir` sealed before now minus `retention` are removed,
 * except those a period report that still exists lists (unless `force`). Each removal is recorded in the
 * history store first (what, when, by whom, why), so nothing leaves the record silently. `dryRun` removes
 * and records nothing. A bundle whose age cannot be read is kept and said.
 */
export function pruneBundles(dir: string, store: HistoryStore, opts: {retention: Retention; now?: Date; dryRun?: boolean; force?: boolean; by: string}): PruneEntry[] {
  const now = opts.now ?? new Date()
  const cutoff = retentionCutoff(opts.retention, now)
  const references = new Map<string, string[]>()
  for (const report of store.periodReports()) {
    if (!existsSync(report.path)) continue // a report deleted no longer holds anything
    for (const run of report.runs) references.set(run.run_id, [...new Set([...(references.get(run.run_id) ?? []), report.path])])
  }
  if (!existsSync(dir)) return []
  const entries: PruneEntry[] = []
  for (const name of readdirSync(dir).sort()) {
    const full = path.join(dir, name)
    if (name.startsWith('.')) continue
    const isDir = statSync(full).isDirectory()
    if (isDir ? !existsSync(path.join(full, MANIFEST)) : !name.endsWith('.tar.gz')) continue
    let manifest: Manifest
    let digest: string
    try {
      const bytes = openBundle(full).files.get(MANIFEST)
      if (!bytes) throw new Error(`no ${MANIFEST}`)
      manifest = JSON.parse(bytes.toString('utf8')) as Manifest
      digest = sha256hex(bytes)
      if (Number.isNaN(Date.parse(manifest.created_at))) throw new Error(`its created_at "${manifest.created_at}" is not a time`)
    } catch (error) {
      entries.push({path: full, run_id: null, created_at: null, manifest_sha256: null, action: 'kept: unreadable', referenced_by: [], detail: `its age cannot be read (${(error as Error).message}); remove it by hand if it should go`})
      continue
    }
    const base = {path: full, run_id: manifest.run_id, created_at: manifest.created_at, manifest_sha256: digest, referenced_by: references.get(manifest.run_id) ?? []}
    if (new Date(manifest.created_at) >= cutoff) {
      entries.push({...base, action: 'kept: within retention', detail: `sealed ${manifest.created_at.slice(0, 10)}, within ${opts.retention.text}`})
      continue
    }
    if (base.referenced_by.length > 0 && !opts.force) {
      entries.push({...base, action: 'kept: referenced', detail: `older than ${opts.retention.text}, but listed by period report ${base.referenced_by.join(', ')} (remove that report first, or --force)`})
      continue
    }
    const reason = `older than ${opts.retention.text} (sealed ${manifest.created_at}, cutoff ${cutoff.toISOString()})${base.referenced_by.length > 0 ? `; listed by period report ${base.referenced_by.join(', ')}, removed with --force` : ''}`
    if (opts.dryRun) {
      entries.push({...base, action: 'would remove', detail: reason})
      continue
    }
    store.recordRemoval({at: now.toISOString(), by: opts.by, path: full, run_id: manifest.run_id, manifest_sha256: digest, reason})
    rmSync(full, {recursive: true, force: true})
    entries.push({...base, action: 'removed', detail: reason})
  }
  return entries
}
