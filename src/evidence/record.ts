import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import type {LoadedDrill} from '../config/load-drill.js'
import {CHROMIUM_REMEDIES, findChromium, printToPdf} from '../report/chromium.js'
import {renderHtml} from '../report/html.js'
import {renderJunit} from '../report/junit.js'
import {renderMarkdown} from '../report/markdown.js'
import type {RunReport} from '../report/run-report.js'
import type {FileReporter} from '../report/reporters.js'
import type {FileWriter} from '../util/atomic.js'
import {seal, writeBundleDir} from './bundle.js'
import {collectEvidence, type EvidenceEngine} from './collect.js'
import type {Redactor} from './redact.js'
import type {SigningKey} from './signing.js'
import type {DrillResult} from '../model/result.js'
import {VERIFY_DOC, VERIFY_DOC_FILE} from './verify-doc.js'

export {FILE_REPORTERS, type FileReporter} from '../report/reporters.js'
/** Where each file reporter's output sits inside a bundle. */
export const REPORT_FILES: Record<FileReporter | 'pdf', string> = {
  junit: 'reports/junit.xml',
  markdown: 'reports/report.md',
  html: 'reports/report.html',
  pdf: 'reports/report.pdf',
}

export interface EvidenceOptions {
  /** The run directory to create. */
  dir: string
  operator?: string
  key?: SigningKey
  reporters?: readonly FileReporter[]
  /** Also print the HTML report to PDF with headless Chromium (skipped, and said, when Chromium is missing). */
  pdf?: boolean
  writer?: FileWriter
  /** Secrets already known (a run's inputs); it learns the containers' too. Default: a new one. */
  redactor?: Redactor
}

export interface EvidenceRecord {
  dir: string
  files: number
  bytes: number
  signed: boolean
  keyid: string | null
  collect_ms: number
  write_ms: number
  reports: Partial<Record<FileReporter | 'pdf', string>>
  warnings: string[]
  /** The report as rendered into the bundle (redacted result with samples). */
  report: RunReport
}

/** Collect a finished drill's evidence (topology still up), render the chosen reports into it, seal and write it atomically. */
export async function recordEvidence(loaded: LoadedDrill, result: DrillResult, engine: EvidenceEngine, opts: EvidenceOptions): Promise<EvidenceRecord> {
  const t0 = performance.now()
  const collected = await collectEvidence(loaded, result, engine, {operator: opts.operator, redactor: opts.redactor})
  const collectMs = performance.now() - t0
  const report: RunReport = {
    result: collected.result,
    environment: collected.environment,
    signature: opts.key
      ? {state: 'signed', keyid: opts.key.keyid, name: opts.key.name, detail: 'signed when the bundle was written'}
      : {state: 'unsigned', keyid: null, name: null, detail: 'no signing key was given'},
    bundle: opts.dir,
  }
  const files = collected.files
  const reports: EvidenceRecord['reports'] = {}
  const warnings: string[] = []
  const wanted = new Set(opts.reporters ?? [])
  if (opts.pdf) wanted.add('html')
  if (wanted.has('junit')) files.set(REPORT_FILES.junit, Buffer.from(renderJunit([report])))
  if (wanted.has('markdown')) files.set(REPORT_FILES.markdown, Buffer.from(renderMarkdown(report)))
  if (wanted.has('html')) files.set(REPORT_FILES.html, Buffer.from(renderHtml(report)))
  if (opts.pdf) {
    const pdf = await htmlPdf(files.get(REPORT_FILES.html)!).catch((error: Error) => {
      warnings.push(`no PDF: ${error.message}`)
      return undefined
    })
    if (pdf) files.set(REPORT_FILES.pdf, pdf)
  }
  for (const r of [...wanted, ...(files.has(REPORT_FILES.pdf) ? ['pdf' as const] : [])]) reports[r] = path.join(opts.dir, REPORT_FILES[r])
  const notCollected = collected.environment.not_collected ?? []
  if (notCollected.length > 0) warnings.push(`the evidence is incomplete: ${notCollected.length} item(s) could not be collected (named in environment.json): ${notCollected[0]}${notCollected.length > 1 ? '; …' : ''}`)
  if (!opts.key) warnings.push('the evidence bundle is UNSIGNED (no --key and no FIREDRILL_SIGNING_KEY); make a key with: firedrill keys generate')

  files.set(VERIFY_DOC_FILE, Buffer.from(VERIFY_DOC))
  const t1 = performance.now()
  const sealed = seal(files, {run_id: result.run_id, drill: result.drill, verdict: result.verdict, created_at: new Date().toISOString()}, opts.key)
  const {bytes} = writeBundleDir(opts.dir, sealed, opts.writer)
  return {
    dir: opts.dir,
    files: sealed.size,
    bytes,
    signed: opts.key !== undefined,
    keyid: opts.key?.keyid ?? null,
    collect_ms: Math.round(collectMs),
    write_ms: Math.round(performance.now() - t1),
    reports,
    warnings,
    report,
  }
}

async function htmlPdf(html: Buffer): Promise<Buffer> {
  const binary = await findChromium()
  if (!binary) throw new Error(`Chromium is not installed (${CHROMIUM_REMEDIES[0]})`)
  const dir = mkdtempSync(path.join(tmpdir(), 'firedrill-pdf-'))
  try {
    writeFileSync(path.join(dir, 'report.html'), html)
    await printToPdf(binary, path.join(dir, 'report.html'), path.join(dir, 'report.pdf'))
    return readFileSync(path.join(dir, 'report.pdf'))
  } finally {
    rmSync(dir, {recursive: true, force: true})
  }
}
