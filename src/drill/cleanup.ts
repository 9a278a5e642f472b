import type {Engine} from '../engine/engine.js'
import {LABEL} from '../engine/labels.js'
import {errorMessage} from '../errors.js'
import {NetHelpers} from '../faults/net-helper.js'
import {applyUndo} from '../faults/undo.js'
import {journalFile, journalsOfCopies, readJournal, unfinished, type JournalFile} from './journal.js'
import {existsSync, rmSync} from 'node:fs'
import {hostname} from 'node:os'
import {tearDown, type DownResult} from '../topology/lifecycle.js'

export interface CleanupResult {
  project: string
  /** The run whose journal was found, if any. */
  journal: Pick<JournalFile, 'run_id' | 'pid' | 'host' | 'started_at'> | null
  /** What was done, one line each. */
  actions: string[]
  /** What could not be undone; the journal is kept when this is not empty. */
  failures: string[]
  removed: DownResult | null
}

/**
 * Restore a topology a killed run left faults in: undo every fault its journal says may still be in
 * place (newest first), remove network-fault helpers and their chains and qdiscs by their labels,
 * thaw paused containers of the project, then drop the journal. With `remove`, take the topology down too.
 * Touches only resources labelled with this project.
 */
/**
 * The topology file a killed run of `project` was started with, when its journal names one that still
 * exists: `cleanup --project` reads the engines there (sites on other hosts are restored on their own engine).
 */
export function journalTopologyFile(project: string, dir?: string): string | undefined {
  const file = readJournal(project, dir)?.topology_file
  return file && existsSync(file) ? file : undefined
}

export async function cleanup(project: string, engine: Engine, opts: {remove?: boolean; dir?: string} = {}): Promise<CleanupResult> {
  const journal = readJournal(project, opts.dir)
  const actions: string[] = []
  const failures: string[] = []
  for (const entry of (journal ? unfinished(journal) : []).reverse()) {
    try {
      const done = await applyUndo(entry.undo, engine, 'tolerant')
      actions.push(...done.map((d) => `${entry.name}: ${d}`))
    } catch (error) {
      failures.push(`${entry.name} (${entry.description}): ${errorMessage(error)}`)
    }
  }
  try {
    const healed = await new NetHelpers(engine, {project, runId: 'cleanup'}).healLeftovers()
    actions.push(...healed.map((h) => `network fault helpers: ${h}`))
  } catch (error) {
    failures.push(`network fault helpers: ${errorMessage(error)}`)
  }
  for (const c of await engine.listContainers([`${LABEL.project}=${project}`])) {
    if (c.state !== 'paused') continue
    try {
      await engine.unpauseContainer(c.id)
      actions.push(`unpaused ${c.name}`)
    } catch (error) {
      failures.push(`unpause ${c.name}: ${errorMessage(error)}`)
    }
  }
  if (failures.length === 0) rmSync(journalFile(project, opts.dir), {force: true})
  // The run was killed while it held the topology's lock on its engine: this host's, and its process is gone.
  try {
    if (await engine.removeStaleLock?.(project, hostname())) actions.push(`removed the lock fd-${project}-lock the killed run held on the engine`)
  } catch (error) {
    failures.push(`remove the lock fd-${project}-lock: ${errorMessage(error)}`)
  }
  const removed = opts.remove && failures.length === 0 ? await tearDown(project, engine) : null
  return {project, journal: journal ? {run_id: journal.run_id, pid: journal.pid, host: journal.host, started_at: journal.started_at} : null, actions, failures, removed}
}

/**
 * The copies of `project` that run --parallel made and a killed run left behind: those with a journal
 * on disk (io.firedrill.copy-of in it) and those with anything on the engine labelled
 * io.firedrill.copy-of=project. Cleaning the project cleans these too, and removes them.
 */
export async function copiesOf(project: string, engine: Engine, dir?: string): Promise<string[]> {
  const filter = [`${LABEL.copyOf}=${project}`]
  const [containers, networks, volumes] = await Promise.all([engine.listContainers(filter), engine.listNetworks(filter), engine.listVolumes(filter)])
  const onEngine = [...containers, ...networks, ...volumes].map((r) => r.labels[LABEL.project]).filter((p): p is string => p !== undefined)
  return [...new Set([...journalsOfCopies(project, dir), ...onEngine])].filter((p) => p !== project).sort()
}
