import {existsSync, readdirSync, readFileSync, rmSync} from 'node:fs'
import {homedir, hostname} from 'node:os'
import path from 'node:path'

import {EnvironmentError} from '../errors.js'
import {writeFileAtomic} from '../util/atomic.js'
import type {UndoSpec} from '../faults/undo.js'

/**
 * What a run is about to change, written to disk before each fault is injected, so that a runner
 * killed outright (SIGKILL, OOM) leaves a record the next firedrill command finds and
 * `firedrill cleanup` undoes.
 */
export interface JournalEntry {
  seq: number
  fault: string
  name: string
  description: string
  undo: UndoSpec
  /** injecting: written before the engine was asked; injected: in place; reverted: undone. */
  state: 'injecting' | 'injected' | 'reverted'
  at: string
}

export interface JournalFile {
  project: string
  /** On a copy of a topology made by run --parallel: the project it copies (cleanup of that project finds it). */
  copy_of?: string
  /** The topology file the run was started with: where `cleanup --project` finds the engines its sites run on. */
  topology_file?: string
  run_id: string
  pid: number
  host: string
  started_at: string
  entries: JournalEntry[]
}

/** One directory per user and machine (the journal outlives the run and its working directory). FIREDRILL_STATE_DIR moves it. */
export function stateDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.FIREDRILL_STATE_DIR || path.join(homedir(), '.firedrill', 'state')
}

export function journalFile(project: string, dir = stateDir()): string {
  return path.join(dir, `${project}.journal.json`)
}

export function readJournal(project: string, dir = stateDir()): JournalFile | undefined {
  const file = journalFile(project, dir)
  if (!existsSync(file)) return undefined
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as JournalFile
  } catch {
    // Written atomically, so unreadable means edited by hand: still a run that did not finish.
    return {project, run_id: 'unknown', pid: 0, host: 'unknown', started_at: 'unknown', entries: []}
  }
}

/** The projects of the topology copies of `project` (run --parallel) whose journals are on disk. */
export function journalsOfCopies(project: string, dir = stateDir()): string[] {
  if (!existsSync(dir)) return []
  return readdirSync(dir)
    .filter((f) => f.endsWith('.journal.json'))
    .map((f) => readJournal(f.slice(0, -'.journal.json'.length), dir))
    .filter((j): j is JournalFile => j?.copy_of === project)
    .map((j) => j.project)
}

/** The faults a journal says may still be in place. */
export function unfinished(journal: JournalFile): JournalEntry[] {
  return journal.entries.filter((e) => e.state !== 'reverted')
}

/** A run that did not finish left faults in place: nothing new starts on this topology until cleanup has restored it. */
export function refuseIfUnfinished(project: string, dir = stateDir()): void {
  const journal = readJournal(project, dir)
  if (!journal) return
  const left = unfinished(journal)
  throw new EnvironmentError(
    `run ${journal.run_id} on topology ${project} (pid ${journal.pid} on ${journal.host}, started ${journal.started_at}) did not finish: ` +
      (left.length === 0 ? 'its journal is still there' : `${left.length} fault(s) may still be in place: ${left.map((e) => e.description).join('; ')}`),
    [`restore the topology first: firedrill cleanup --project ${project}`],
  )
}

export class Journal {
  private readonly data: JournalFile
  private readonly file: string

  private constructor(file: string, data: JournalFile) {
    this.file = file
    this.data = data
  }

  /** Start the journal of a run; nothing is written until the first fault. */
  static begin(project: string, runId: string, opts: {dir?: string; now?: () => Date; copyOf?: string; topologyFile?: string} = {}): Journal {
    const now = opts.now ?? (() => new Date())
    const copy = opts.copyOf ? {copy_of: opts.copyOf} : {}
    const file = opts.topologyFile ? {topology_file: opts.topologyFile} : {}
    return new Journal(journalFile(project, opts.dir), {project, ...copy, ...file, run_id: runId, pid: process.pid, host: hostname(), started_at: now().toISOString(), entries: []})
  }

  /** Record, durably, what is about to change; call before the fault's first engine call. */
  intend(entry: Omit<JournalEntry, 'seq' | 'state' | 'at'>): number {
    const seq = this.data.entries.length + 1
    this.data.entries.push({...entry, seq, state: 'injecting', at: new Date().toISOString()})
    this.save()
    return seq
  }

  mark(seq: number, state: JournalEntry['state']): void {
    const entry = this.data.entries.find((e) => e.seq === seq)
    if (!entry || entry.state === state) return
    entry.state = state
    this.save()
  }

  /** The run is over: with every fault undone the journal goes; otherwise it stays for `firedrill cleanup`. */
  finish(): JournalEntry[] {
    const left = unfinished(this.data)
    if (left.length === 0) rmSync(this.file, {force: true})
    return left
  }

  private save(): void {
    writeFileAtomic(this.file, `${JSON.stringify(this.data, null, 1)}\n`)
  }
}
