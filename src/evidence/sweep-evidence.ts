import {readdirSync, readFileSync, rmSync, statSync} from 'node:fs'
import path from 'node:path'

import type {LoadedDrill} from '../config/load-drill.js'
import {errorMessage, ExitCode} from '../errors.js'
import {HistoryStore} from '../history/store.js'
import type {DrillResult} from '../model/result.js'
import type {SweepResult} from '../model/sweep.js'
import {sweepHtml, sweepJunit, sweepMarkdown} from '../report/sweep.js'
import type {FileReporter} from '../report/reporters.js'
import {checkOutDir, checkWritableDir, EvidenceWriteError, seal, writeBundleDir} from './bundle.js'
import {learnInputs, type EvidenceEngine} from './collect.js'
import {operatorOf} from './environment.js'
import {historyDbPath, runsDir} from './home.js'
import {recordEvidence, REPORT_FILES} from './record.js'
import {Redactor} from './redact.js'
import {loadSigningKey} from './signing.js'
import {checkSigningKey} from './trust.js'
import {VERIFY_DOC, VERIFY_DOC_FILE} from './verify-doc.js'

/** The machine-readable sweep inside its bundle: the matrix, the single points of failure, every cell's run id. */
export const SWEEP_FILE = 'sweep.json'

export interface SweepEvidenceOptions {
  sweepId: string
  /** --out: the sweep's bundle directory; default $FIREDRILL_HOME/runs/<sweep id>. */
  out?: string
  operator?: string
  key?: string
  reporters: readonly FileReporter[]
  store?: string
}

/**
 * Evidence for a sweep: one bundle, sealed and signed as a run's is (manifest kind `sweep`). Each cell's run
 * leaves its own complete run bundle (logs, inspect output, events, samples) while the topology is still up,
 * first in a hidden staging directory beside the sweep's; when the sweep ends (completed, interrupted or
 * aborted) they go under `cells/<run id>/` of the sweep's bundle beside sweep.json, the reports and
 * VERIFY.md, one manifest pins every file, and each cell is recorded in the history with its bundle there.
 * Checked before anything starts: the key, --out free, the directories writable.
 */
export function evidenceForSweep(cells: readonly LoadedDrill[], opts: SweepEvidenceOptions) {
  const redactor = new Redactor()
  for (const loaded of cells) learnInputs(redactor, loaded)
  const key = loadSigningKey(opts.key)
  const warnings = key ? checkSigningKey(key) : ['the evidence bundle is UNSIGNED (no --key and no FIREDRILL_SIGNING_KEY); make a key with: firedrill keys generate']
  const dir = path.resolve(opts.out ?? path.join(runsDir(), opts.sweepId))
  if (opts.out) checkOutDir(opts.out)
  else checkWritableDir(runsDir(), `the runs directory ${runsDir()}`, ['set FIREDRILL_HOME to a directory you can write to, or give --out DIR for the bundle'])
  const storeFile = opts.store ?? historyDbPath()
  checkWritableDir(path.dirname(storeFile), `the history store ${storeFile}`, ['set FIREDRILL_HOME to a directory you can write to (it holds runs/ and history.sqlite)'])
  const staging = path.join(path.dirname(dir), `.${path.basename(dir)}.cells`)
  const recorded: DrillResult[] = []
  return {
    dir,
    redactor,
    warnings,
    /** A cell's run bundle, written while the topology is still up (its logs and inspect output). */
    async record(result: DrillResult, loaded: LoadedDrill, engine: EvidenceEngine): Promise<void> {
      const rec = await recordEvidence(loaded, result, engine, {dir: path.join(staging, result.run_id), operator: opts.operator, key, reporters: [], redactor})
      recorded.push(rec.report.result)
    },
    /** The sweep's one bundle: the cells' bundles moved in, sweep.json and the reports added, sealed; then the history. */
    seal(sweep: SweepResult): {dir: string; files: number} {
      const files = new Map<string, Buffer>()
      const clean = redactor.json(sweep)
      files.set(SWEEP_FILE, Buffer.from(`${JSON.stringify(clean, null, 2)}\n`))
      const wanted = new Set(opts.reporters)
      if (wanted.has('junit')) files.set(REPORT_FILES.junit, Buffer.from(sweepJunit(clean)))
      if (wanted.has('markdown')) files.set(REPORT_FILES.markdown, Buffer.from(sweepMarkdown(clean)))
      if (wanted.has('html')) files.set(REPORT_FILES.html, Buffer.from(sweepHtml(clean)))
      files.set(VERIFY_DOC_FILE, Buffer.from(VERIFY_DOC))
      for (const file of walk(staging)) files.set(`cells/${path.relative(staging, file).split(path.sep).join('/')}`, readFileSync(file))
      const sealed = seal(files, {kind: 'sweep', run_id: sweep.sweep_id, drill: `sweep ${sweep.topology} ${sweep.fault}`, verdict: sweep.verdict, created_at: new Date().toISOString()}, key)
      writeBundleDir(dir, sealed)
      rmSync(staging, {recursive: true, force: true})
      try {
        const store = HistoryStore.open(storeFile)
        try {
          for (const r of recorded) store.recordRun(r, {bundle: path.join(dir, 'cells', r.run_id), operator: operatorOf(opts.operator).name})
        } finally {
          store.close()
        }
      } catch (error) {
        throw new EvidenceWriteError(`the sweep's bundle ${dir} was written, but the history store ${storeFile} could not record its cells: ${errorMessage(error)}`, [`firedrill evidence verify ${dir}`], ExitCode.Aborted, {cause: error})
      }
      return {dir, files: sealed.size}
    },
  }
}

function walk(dir: string): string[] {
  if (!statSync(dir, {throwIfNoEntry: false})?.isDirectory()) return []
  return readdirSync(dir, {withFileTypes: true})
    .sort((a, b) => (a.name < b.name ? -1 : 1))
    .flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : e.isFile() ? [path.join(dir, e.name)] : []))
}
