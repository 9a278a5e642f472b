import {randomBytes} from 'node:crypto'

import {NETWORK_FAULTS} from '../config/drill.js'
import {loadDrillFiles} from '../config/drill-files.js'
import type {LoadedDrill, LoadOptions} from '../config/load-drill.js'
import {ConfigError, EnvironmentError, errorMessage} from '../errors.js'
import {gradeRepeat, type DrillOutcome, type GradeOn} from '../grade/repeat.js'

export type {DrillOutcome} from '../grade/repeat.js'
import type {Engine} from '../engine/engine.js'
import {projectFilter} from '../engine/labels.js'
import {ensureNetHelperImage, NET_HELPER_IMAGE} from '../faults/net-helper.js'
import {loadTopology} from '../config/load-topology.js'
import {copyProjectName, type Topology} from '../model/topology.js'
import {copyProblems, withCopySubnets} from '../topology/copies.js'
import {bringUp, removeCopy, tearDown} from '../topology/lifecycle.js'
import {interruptible} from '../util/interrupt.js'
import {inSlots, oneAtATime} from '../util/pool.js'
import {prefixedProgress, type Progress, silentProgress} from '../util/progress.js'
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
  /** Run this many drills at a time, each on its own copy of its topology (`runParallel`); 1 (the default) runs them one after another on the topology itself. */
  parallel?: number
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
  const runs = (opts.parallel ?? 1) > 1 ? await runParallel(drills, {...opts, parallel: opts.parallel!}) : await runSession(drills, opts)
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

/**
 * The topology projects `run --parallel N` uses: copy 1..slots of every topology the drills run on,
 * where slots is N or the number of drills if smaller. These are what the run locks (before the engine
 * is asked), creates, and removes; the topologies themselves are not touched.
 */
export function copyProjects(drills: readonly LoadedDrill[], parallel: number): string[] {
  const slots = Math.min(parallel, drills.length)
  const projects = [...new Set(drills.map((d) => d.topology.project))]
  return projects.flatMap((p) => Array.from({length: slots}, (_, i) => copyProjectName(p, i + 1)))
}

/**
 * What --parallel refuses before anything starts (exit 2): a topology it cannot copy side by side
 * (published host ports).
 */
export function checkParallel(drills: readonly LoadedDrill[]): void {
  const seen = new Set<string>()
  for (const {topology} of drills) {
    if (seen.has(topology.file)) continue
    seen.add(topology.file)
    const problem = copyProblems(topology)
    if (problem) throw problem
  }
}

/**
 * Run the drills `parallel` at a time, each on its own copy of its topology (`copyProjectName`: its
 * own project, containers, networks and, when the topology gives subnets, subnets; all labelled with
 * io.firedrill.copy-of). A slot's copy is brought up the first time a drill needs it and reused by the
 * slot's next drills (every run leaves it healthy, as on the topology itself). Copies are brought up
 * one at a time, never side by side (cluster bootstraps on a small machine starve each other), while
 * the drills of copies already up run on. Every copy is removed at the end, on success, failure,
 * Ctrl-C or SIGTERM. Results come back in the order of `drills`, each drill's runs together.
 */
export async function runParallel(drills: readonly LoadedDrill[], opts: SessionOptions & {parallel: number}): Promise<DrillResult[]> {
  checkParallel(drills)
  const progress = opts.progress ?? silentProgress
  const engine = opts.engine
  const engineInfo = await engine.info()
  const repeat = opts.repeat ?? 1
  const slots = Math.min(opts.parallel, drills.length)
  return interruptible(async (signal) => {
    const copies = new Map<string, Topology>()
    const made: Topology[] = []
    const bringUps = oneAtATime()
    // Evidence is written one run at a time (its files, the history store), in the order runs end.
    const records = oneAtATime()
    let failed = false
    try {
      if (drills.some((d) => d.drill.steps.some((s) => s.kind === 'fault' && NETWORK_FAULTS.includes(s.fault)))) {
        await ensureNetHelperImage(engine, {buildArgs: opts.buildArgs, progress})
      }
      progress.log(`Running ${drills.length} drill(s) ${slots} at a time, each on its own copy of its topology`)
      const perDrill = await inSlots(drills, slots, async (loaded, slot) => {
        const shown = prefixedProgress(progress, `[p${slot} ${loaded.drill.name}] `)
        const key = `${slot}\0${loaded.topology.file}`
        let copy = copies.get(key)
        if (!copy) {
          copy = await bringUps(async () => {
            signal.throwIfAborted()
            const fresh = loadTopology(loaded.topology.file, {copy: slot})
            made.push(fresh)
            // Left by a run that was killed outright: its lock is ours now and its journal is clean (checked when locked).
            const left = await removeCopy(fresh, engine)
            if (left.containers + left.networks + left.volumes > 0) {
              shown.log(`removed what a killed run left of copy ${fresh.project}: ${left.containers} containers, ${left.networks} networks, ${left.volumes} volumes`)
            }
            // Anything else of that project is not a copy of ours (a topology someone named like one): never drill on it or remove it.
            const others = [...(await engine.listContainers(projectFilter(fresh.project))), ...(await engine.listNetworks(projectFilter(fresh.project)))]
            if (others.length > 0) {
              throw new EnvironmentError(`topology ${fresh.project} exists (${others.map((o) => o.name).join(', ')}) and is not a copy run --parallel made; copies of ${fresh.copyOf} take that name`, [
                `take it down (firedrill down --project ${fresh.project}) or run without --parallel`,
              ])
            }
            const asked = fresh.networks.some((n) => n.subnet !== undefined)
            const placed = withCopySubnets(fresh, asked ? (await engine.listNetworks([])).flatMap((n) => n.subnets) : [])
            await bringUp(placed, engine, {progress: shown, buildArgs: opts.buildArgs, signal})
            return placed
          })
          copies.set(key, copy)
        }
        const mine: LoadedDrill = {...loaded, topology: copy}
        const results: DrillResult[] = []
        for (let n = 1; n <= repeat; n++) {
          signal.throwIfAborted()
          if (repeat > 1) shown.log(`Run ${n} of ${repeat}`)
          let result: DrillResult
          try {
            result = await runDrill(mine, {engine, engineInfo, runId: newRunId(), progress: shown, signal, operator: opts.operator})
          } catch (error) {
            const partial = partialResultOf(error)
            if (partial) {
              await records(() => opts.onResult?.(partial, mine) ?? Promise.resolve()).catch((e) =>
                shown.log(`could not write the evidence of the ${partial.status} run ${partial.run_id}: ${errorMessage(e)}`),
              )
            }
            throw error
          }
          results.push(result)
          await records(() => opts.onResult?.(result, mine) ?? Promise.resolve())
        }
        return results
      })
      return perDrill.flat()
    } catch (error) {
      failed = true
      throw error
    } finally {
      // Copies exist for this run only: removed whatever happened (--keep is refused with --parallel).
      const results = await Promise.allSettled(made.map((copy) => progress.phase(`Remove topology ${copy.project}`, () => removeCopy(copy, engine))))
      const notRemoved = results.flatMap((r, i) => (r.status === 'rejected' ? [{project: made[i]!.project, error: r.reason as unknown}] : []))
      for (const {project, error} of notRemoved) progress.log(`could not take ${project} down: ${errorMessage(error)}; firedrill down --project ${project} does it`)
      // After a failure (the engine lost, say) a teardown that fails too must not hide why the run failed.
      if (!failed && notRemoved.length > 0) throw notRemoved[0]!.error
    }
  }, {
    onSignal: progress.log,
    onAbandon: () => abandonMessage(copyProjects(drills, opts.parallel)),
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
