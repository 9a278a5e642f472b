import path from 'node:path'

import type {LoadedDrill} from '../config/load-drill.js'
import {ExitCode, errorMessage} from '../errors.js'
import {HistoryStore} from '../history/store.js'
import type {FileWriter} from '../util/atomic.js'
import {checkOutDir, checkWritableDir, EvidenceWriteError} from './bundle.js'
import {learnInputs, type EvidenceEngine} from './collect.js'
import {operatorOf} from './environment.js'
import {historyDbPath, runsDir} from './home.js'
import {recordEvidence, type EvidenceRecord, type FileReporter} from './record.js'
import {Redactor} from './redact.js'
import {loadSigningKey} from './signing.js'
import type {DrillResult} from '../model/result.js'
import {checkSigningKey} from './trust.js'

export interface RunEvidenceOptions {
  /** --out: the run directory (one drill) or the directory holding one per run (several). */
  out?: string
  operator?: string
  /** --key: a PEM file or PEM text; falls back to FIREDRILL_SIGNING_KEY. */
  key?: string
  reporters: readonly FileReporter[]
  pdf?: boolean
  /** The history store file; default $FIREDRILL_HOME/history.sqlite. */
  store?: string
  /** How bundle files reach the disk (tests simulate a full disk). */
  writer?: FileWriter
  /** --repeat: runs per drill (with several runs, --out holds one directory per run). */
  repeat?: number
}

const HOME_REMEDY = 'set FIREDRILL_HOME to a directory you can write to (it holds runs/ and history.sqlite)'

/**
 * Evidence for a `run` session: checked before anything starts (key readable, --out free, the bundle's
 * and the history's directories writable), then one bundle per drill while its topology is still up,
 * each recorded in the history store. Its redactor knows the drills' secrets from the start and the
 * containers' once evidence is collected: whatever the session prints passes through it too.
 */
export function evidenceForRun(drills: readonly LoadedDrill[], opts: RunEvidenceOptions) {
  const drillCount = drills.length * (opts.repeat ?? 1)
  const redactor = new Redactor()
  for (const loaded of drills) learnInputs(redactor, loaded)
  const key = loadSigningKey(opts.key)
  const keyWarnings = key ? checkSigningKey(key) : []
  if (opts.out) checkOutDir(opts.out)
  else checkWritableDir(runsDir(), `the runs directory ${runsDir()}`, [`${HOME_REMEDY}, or give --out DIR for the bundle`])
  const storeFile = opts.store ?? historyDbPath()
  checkWritableDir(path.dirname(storeFile), `the history store ${storeFile}`, [HOME_REMEDY])
  const records: EvidenceRecord[] = []
  const dirFor = (runId: string) => (opts.out ? (drillCount === 1 ? path.resolve(opts.out) : path.resolve(opts.out, runId)) : path.join(runsDir(), runId))
  return {
    records,
    redactor,
    signed: key !== undefined,
    async record(result: DrillResult, loaded: LoadedDrill, engine: EvidenceEngine): Promise<EvidenceRecord> {
      let rec: EvidenceRecord
      try {
        rec = await recordEvidence(loaded, result, engine, {dir: dirFor(result.run_id), operator: opts.operator, key, reporters: opts.reporters, pdf: opts.pdf, writer: opts.writer, redactor})
      } catch (error) {
        if (!(error instanceof EvidenceWriteError)) throw error
        throw new EvidenceWriteError(`${error.message}\n${notOnRecord(redactor.json(result))}`, error.suggestions, error.exitCode, {cause: error})
      }
      try {
        const store = HistoryStore.open(storeFile)
        try {
          // The history keeps what the bundle keeps: the redacted result.
          store.recordRun(rec.report.result, {bundle: rec.dir, operator: operatorOf(opts.operator).name})
        } finally {
          store.close()
        }
      } catch (error) {
        throw new EvidenceWriteError(
          `the evidence bundle ${rec.dir} was written, but the history store ${storeFile} could not record run ${result.run_id}: ${errorMessage(error)}`,
          [`free space on the file system holding ${path.dirname(storeFile)} (or set FIREDRILL_HOME to one that has it); firedrill history will not list this run`, `the bundle itself is complete: firedrill evidence verify ${rec.dir}`],
          ExitCode.Aborted,
          {cause: error},
        )
      }
      rec.warnings.push(...keyWarnings)
      records.push(rec)
      return rec
    },
  }
}

/** What a run whose evidence could not be written did, said without claiming it: its figures are not on record. */
function notOnRecord(result: DrillResult): string {
  if ((result.status ?? 'completed') !== 'completed') return `The ${result.status} run ${result.run_id} of drill ${result.drill} is not on record either.`
  const figures = result.results.map((r) => `${r.objective.toUpperCase()} ${r.measured}`).join(', ')
  return (
    `The drill ${result.drill} itself ran to the end and its faults were reverted, but run ${result.run_id} is not on record ` +
    `(no bundle, no history entry) and counts as not run; its unrecorded figures: ${figures}, which would have been ${result.verdict.toUpperCase()}.`
  )
}
