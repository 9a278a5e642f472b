import {randomBytes} from 'node:crypto'

import {NETWORK_FAULTS} from '../config/drill.js'
import {loadDrillFiles} from '../config/drill-files.js'
import type {LoadedDrill, LoadOptions} from '../config/load-drill.js'
import {ConfigError, errorMessage} from '../errors.js'
import {gradeRepeat, type DrillOutcome, type GradeOn} from '../grade/repeat.js'

export type {DrillOutcome} from '../grade/repeat.js'
import type {Engine} from '../engine/engine.js'
import {ensureNetHelperImage, NET_HELPER_IMAGE} from '../faults/net-helper.js'
import {bringUp, tearDown} from '../topology/lifecycle.js'
import {interruptible} from '../util/interrupt.js'
import {type Progress, silentProgress} from '../util/progress.js'
import {readJournal, unfinished} from '../drill/journal.js'
import {partialResultOf, runDrill} from '../drill/runner.js'
import type {Operator} from '../drill/steps.js'
import type {DrillResult} from '../model/result.js'

export interface SessionOptions {
  engine: Engine
  /** Leave the topology up afterwards even if the session brought it up. */
  keep?: boolean
  buildArgs?: Record<string, string>
  progress?: Progress
  /** Called with each run's result while its topology is still up (evidence: logs and inspect output). */
  onResult?: (result: DrillResult, loaded: LoadedDrill) => Promise<void>
  /** The person confirming manual steps; absent when nobody is at a terminal. */
  operator?: Operator
  /** Run each drill this many times (the topology healthy again between runs). */
  repeat?: number
}


export function newRunId(now = new Date()): string {
  return `${now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}-${randomBytes(3).toString('hex')}`
}

/**
 * Validate every drill first, reporting the problems of every file at once; nothing starts on bad
 * input. Which files are drills is decided by `drillFiles` (policy and topology files among the
 * paths, such as drills/policy.yaml, are skipped), as for every command that takes drills.
 */
export function loadDrills(paths: readonly string[], opts: LoadOptions = {}): LoadedDrill[] {
  const {drills, issues} = loadDrillFiles(paths, opts)
  if (issues.length > 0) throw new ConfigError(issues)
  if (drills.length === 0) throw new ConfigError([{file: paths.join(', '), field: '', message: 'no drill found there'}])
  return drills
}

/** Run every drill (each `repeat` times) and grade it; with one run, the run's own grade. */
export async function runDrills(drills: readonly LoadedDrill[], opts: SessionOptions & {gradeOn?: GradeOn}): Promise<DrillOutcome[]> {
  const repeat = opts.repeat ?? 1
  const runs = await runSession(drills, opts)
  return drills.map((loaded, i) => {
    const mine = runs.slice(i * repeat, (i + 1) * repeat)
    if (repeat === 1) return {drill: loaded.drill.name, runs: mine, verdict: mine[0]!.verdict}
    const repeated = gradeRepeat(mine, opts.gradeOn ?? 'worst')
    return {drill: loaded.drill.name, runs: mine, repeated, verdict: repeated.verdict}
  })
}

export async function runSession(drills: readonly LoadedDrill[], opts: SessionOptions): Promise<DrillResult[]> {
  const progress = opts.progress ?? silentProgress
  const engineInfo = await opts.engine.info()
  return interruptible(async (signal) => {
    const results: DrillResult[] = []
    // Brought up here means taken down here (unless --keep); found up means left up.
    const broughtUp = new Map<string, string>()
    let failed = false
    try {
      if (drills.some((d) => d.drill.steps.some((s) => s.kind === 'fault' && NETWORK_FAULTS.includes(s.fault)))) {
        await ensureNetHelperImage(opts.engine, {buildArgs: opts.buildArgs, progress})
      }
      for (const loaded of drills) {
        const {topology} = loaded
        if (!broughtUp.has(topology.file)) {
          const result = await bringUp(topology, opts.engine, {
            progress,
            buildArgs: opts.buildArgs,
            signal,
            relayImage: () => ensureNetHelperImage(opts.engine, {buildArgs: opts.buildArgs, progress}).then(() => NET_HELPER_IMAGE),
          })
          broughtUp.set(topology.file, result.created ? topology.project : '')
        }
        for (let n = 1; n <= (opts.repeat ?? 1); n++) {
          signal.throwIfAborted()
          if ((opts.repeat ?? 1) > 1) progress.log(`Run ${n} of ${opts.repeat} of drill ${loaded.drill.name}`)
          // Every run ends with its faults reverted and the topology healthy again (or says why not).
          let result: DrillResult
          try {
            result = await runDrill(loaded, {engine: opts.engine, engineInfo, runId: newRunId(), progress, signal, operator: opts.operator})
          } catch (error) {
            // Interrupted or aborted: its faults are undone; its evidence says so, with what was reverted.
            const partial = partialResultOf(error)
            if (partial) await opts.onResult?.(partial, loaded).catch((e) => progress.log(`could not write the evidence of the ${partial.status} run ${partial.run_id}: ${errorMessage(e)}`))
            throw error
          }
          results.push(result)
          await opts.onResult?.(result, loaded)
        }
      }
      return results
    } catch (error) {
      failed = true
      throw error
    } finally {
      if (!opts.keep) {
        for (const project of broughtUp.values()) {
          if (!project) continue
          // After a failure (the engine lost, say) a teardown that fails too must not hide why the run failed.
          if (failed) await tearDown(project, opts.engine, progress).catch((e) => progress.log(`could not take ${project} down: ${errorMessage(e)}; firedrill down --project ${project} does it`))
          else await tearDown(project, opts.engine, progress)
        }
      }
    }
  }, {
    onSignal: progress.log,
    onAbandon: () => abandonMessage(drills.map((d) => d.topology.project)),
  })
}

/** What a run abandoned mid-restore leaves in place, from the crash journals on disk, and the command that restores it. */
export function abandonMessage(projects: readonly string[], dir?: string): string {
  const lines: string[] = []
  for (const project of new Set(projects)) {
    const journal = readJournal(project, dir)
    const left = journal ? unfinished(journal) : []
    if (left.length === 0) continue
    lines.push(`Left in place on ${project}: ${left.map((e) => e.description).join('; ')}. Restore with: firedrill cleanup --project ${project}`)
  }
  return lines.length > 0 ? lines.join('\n') : 'No fault was left in place.'
}
