import {existsSync, readdirSync, statSync} from 'node:fs'
import path from 'node:path'

import type {Removal, RunRow} from '../history/store.js'
import {MANIFEST, seal, writeBundleDir, type Manifest} from './bundle.js'
import {sha256hex} from './chain.js'
import type {SigningKey} from './signing.js'
import {VERIFY_DOC, VERIFY_DOC_FILE} from './verify-doc.js'
import {openBundle, verifyBundle, type OpenedBundle, type VerifyOptions} from './verify.js'

/** The machine-readable period report inside a sealed period report: what `evidence verify` checks the bundles against. */
export const PERIOD_FILE = 'period.json'

/** One run a period report summarises, with the evidence it rests on. */
export interface ListedBundle {
  run_id: string
  drill: string
  started_at: string
  status: RunRow['status']
  verdict: RunRow['verdict']
  /** Where the history says its bundle is. */
  bundle: string | null
  /** SHA-256 of the bundle's manifest.json when the report was made: it pins every file of the bundle. */
  manifest_sha256: string | null
  signer_keyid: string | null
  /** The key's name as the bundle's manifest gives it (the signer's claim). */
  signer_name: string | null
  /** Why no digest could be taken (no bundle recorded, gone, unreadable); null when it was. */
  problem: string | null
}

/** Each run's bundle, opened where the history says it is, with its manifest digest and signer. */
export function listBundles(runs: readonly RunRow[], removals: readonly Removal[] = []): ListedBundle[] {
  return runs.map((r) => {
    const base = {run_id: r.run_id, drill: r.drill, started_at: r.started_at, status: r.status, verdict: r.verdict, bundle: r.bundle}
    const none = (problem: string): ListedBundle => ({...base, manifest_sha256: null, signer_keyid: null, signer_name: null, problem})
    if (!r.bundle) return none('no bundle was recorded for this run')
    if (!existsSync(r.bundle)) {
      const removed = removals.find((x) => x.path === r.bundle)
      return removed
        ? {...none(`removed by evidence prune on ${removed.at.slice(0, 10)} by ${removed.by}: ${removed.reason}`), manifest_sha256: removed.manifest_sha256}
        : none(`the bundle is not at ${r.bundle} (moved or deleted)`)
    }
    try {
      const manifestBytes = openBundle(r.bundle).files.get(MANIFEST)
      if (!manifestBytes) return none(`${r.bundle} has no ${MANIFEST}`)
      const m = JSON.parse(manifestBytes.toString('utf8')) as Manifest
      return {...base, manifest_sha256: sha256hex(manifestBytes), signer_keyid: m.keyid ?? null, signer_name: m.key_name ?? null, problem: null}
    } catch (error) {
      return none(`${r.bundle} cannot be read: ${(error as Error).message}`)
    }
  })
}

/**
 * Write a period report as evidence: its rendered files, period.json (with every bundle's manifest digest
 * and signer) and VERIFY.md, sealed (manifest, SHA256SUMS, DSSE statement signed with `key`) into `dir`
 * atomically, exactly as a run's bundle is.
 */
export function writeSealedPeriodReport(
  dir: string,
  report: {period: {label: string}; generated_at: string; evidence?: readonly unknown[]},
  rendered: ReadonlyMap<string, string>,
  key: SigningKey | undefined,
): {dir: string; files: number} {
  const files = new Map<string, Buffer>()
  files.set(PERIOD_FILE, Buffer.from(`${JSON.stringify(report, null, 2)}\n`))
  for (const [name, text] of rendered) files.set(name, Buffer.from(text))
  files.set(VERIFY_DOC_FILE, Buffer.from(VERIFY_DOC))
  const stamp = report.generated_at.replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')
  const sealed = seal(files, {run_id: `period-${report.period.label}-${stamp}`, drill: `period ${report.period.label}`, verdict: 'summary', created_at: report.generated_at, kind: 'period-report'}, key)
  writeBundleDir(dir, sealed)
  return {dir, files: sealed.size}
}

/** What `evidence verify PERIOD_REPORT --bundles ...` found for one listed run. */
export interface ListedCheck {
  run_id: string
  manifest_sha256: string | null
  /** matches: a given bundle of that run has that manifest, and verifies; the rest is said in `detail`. */
  state: 'matches' | 'different' | 'not intact' | 'not given'
  source: string | null
  detail: string
}

/** Bundles given on the command line: each a bundle (directory or tarball), or a directory of bundles (such as .firedrill/runs). */
export function openGivenBundles(paths: readonly string[]): OpenedBundle[] {
  const out: OpenedBundle[] = []
  for (const p of paths) {
    if (statSync(p, {throwIfNoEntry: false})?.isDirectory() && !existsSync(path.join(p, MANIFEST))) {
      for (const name of readdirSync(p).sort()) {
        const child = path.join(p, name)
        if (name.startsWith('.')) continue
        if (statSync(child).isDirectory() ? existsSync(path.join(child, MANIFEST)) : name.endsWith('.tar.gz')) out.push(openBundle(child))
      }
    } else out.push(openBundle(p))
  }
  return out
}

/** Each listed run against the bundles given: its manifest digest must match, and the bundle must verify on its own. */
export function checkListedBundles(listed: readonly ListedBundle[], given: readonly OpenedBundle[], opts: VerifyOptions): ListedCheck[] {
  const byRun = new Map<string, OpenedBundle[]>()
  for (const b of given) {
    try {
      const m = JSON.parse(b.files.get(MANIFEST)?.toString('utf8') ?? '{}') as Partial<Manifest>
      if (typeof m.run_id === 'string') byRun.set(m.run_id, [...(byRun.get(m.run_id) ?? []), b])
    } catch {}
  }
  return listed.map((l) => {
    const candidates = byRun.get(l.run_id) ?? []
    if (candidates.length === 0) return {run_id: l.run_id, manifest_sha256: l.manifest_sha256, state: 'not given', source: null, detail: 'no bundle of this run was given'}
    const exact = candidates.find((b) => sha256hex(b.files.get(MANIFEST)!) === l.manifest_sha256)
    if (!exact) {
      return {run_id: l.run_id, manifest_sha256: l.manifest_sha256, state: 'different', source: candidates[0]!.source, detail: `its manifest is not the one the report lists (${l.manifest_sha256 ?? 'no digest was taken'})`}
    }
    const v = verifyBundle(exact, opts)
    if (!v.ok) return {run_id: l.run_id, manifest_sha256: l.manifest_sha256, state: 'not intact', source: exact.source, detail: v.problems.join('; ')}
    return {run_id: l.run_id, manifest_sha256: l.manifest_sha256, state: 'matches', source: exact.source, detail: `manifest matches; intact; signature ${v.signature.state}`}
  })
}

/** A sealed period report checked as any bundle is, then, given bundles, each listed run against them. */
export function verifyPeriodReport(report: OpenedBundle, given: readonly OpenedBundle[], opts: VerifyOptions): {listed?: ListedCheck[]; problems: string[]} {
  const raw = report.files.get(PERIOD_FILE)
  if (!raw) return {listed: [], problems: [`missing: ${PERIOD_FILE} (the list of bundles the report rests on)`]}
  let listed: ListedBundle[]
  try {
    listed = (JSON.parse(raw.toString('utf8')) as {evidence: ListedBundle[]}).evidence
    if (!Array.isArray(listed)) throw new Error('no evidence list')
  } catch (error) {
    return {listed: [], problems: [`modified: ${PERIOD_FILE} is not a period report (${(error as Error).message})`]}
  }
  if (given.length === 0) return {problems: []}
  const checks = checkListedBundles(listed, given, opts)
  const problems = checks.filter((c) => c.state === 'different' || c.state === 'not intact').map((c) => `listed bundle ${c.run_id}: ${c.source}: ${c.detail}`)
  return {listed: checks, problems}
}
