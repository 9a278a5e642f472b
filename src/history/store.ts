import {mkdirSync} from 'node:fs'
import path from 'node:path'
import {DatabaseSync} from 'node:sqlite'

import {ConfigError, ExitCode, FiredrillError} from '../errors.js'
import type {ObjectiveResult} from '../model/objectives.js'
import type {DrillResult} from '../model/result.js'

/** One run as the history keeps it. */
export interface RunRow {
  run_id: string
  drill: string
  drill_file: string
  topology: string
  verdict: 'pass' | 'fail'
  started_at: string
  finished_at: string
  duration_ms: number
  rto_ms: number | null
  rpo_ms: number | null
  lost_writes: number | null
  results: ObjectiveResult[]
  bundle: string | null
  operator: string | null
  /** completed (graded: pass or fail), or interrupted / aborted: not measured, and not a drill held. */
  status: 'completed' | 'interrupted' | 'aborted'
  /** The probe interval that bounds the RTO's precision; null for runs recorded before it was kept. */
  resolution_ms: number | null
  /** Each probe's figures and verdict, for a drill with several probes; null otherwise (and for runs recorded before). */
  probes: ProbeFigures[] | null
}

export interface ProbeFigures {
  name: string
  verdict: 'pass' | 'fail'
  rto_ms: number | null
  rpo_ms: number | null
  lost_writes: number | null
  resolution_ms: number
}

export interface PeriodReportRecord {
  id: number
  at: string
  period: string
  path: string
  signed: boolean
  runs: {run_id: string; manifest_sha256: string | null}[]
}

/** A bundle `evidence prune` removed, kept so that nothing leaves the record silently. */
export interface Removal {
  id: number
  at: string
  by: string
  path: string
  run_id: string | null
  manifest_sha256: string | null
  reason: string
}

export interface Note {
  id: number
  run_id: string
  at: string
  author: string
  text: string
}

const SCHEMA_VERSION = 3

/** Every run and every follow-up note, in a local SQLite file (node:sqlite, no native addon). */
export class HistoryStore {
  private constructor(
    private readonly db: DatabaseSync,
    readonly file: string,
  ) {}

  static open(file: string): HistoryStore {
    if (file !== ':memory:') mkdirSync(path.dirname(file), {recursive: true})
    let db: DatabaseSync
    try {
      db = new DatabaseSync(file)
    } catch (error) {
      throw new HistoryError(`cannot open the history store ${file}: ${(error as Error).message}`)
    }
    db.exec('PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 5000;')
    const version = (db.prepare('PRAGMA user_version').get() as {user_version: number}).user_version
    if (version > SCHEMA_VERSION) throw new HistoryError(`${file} was written by a newer firedrill (schema ${version})`)
    if (version < 1) {
      db.exec(`
        CREATE TABLE IF NOT EXISTS runs (
          run_id TEXT PRIMARY KEY, drill TEXT NOT NULL, drill_file TEXT NOT NULL, topology TEXT NOT NULL,
          verdict TEXT NOT NULL, started_at TEXT NOT NULL, finished_at TEXT NOT NULL, duration_ms INTEGER NOT NULL,
          rto_ms REAL, rpo_ms REAL, lost_writes INTEGER, results TEXT NOT NULL, bundle TEXT, operator TEXT);
        CREATE INDEX IF NOT EXISTS runs_drill_started ON runs (drill, started_at);
        CREATE TABLE IF NOT EXISTS notes (
          id INTEGER PRIMARY KEY AUTOINCREMENT, run_id TEXT NOT NULL REFERENCES runs(run_id), at TEXT NOT NULL,
          author TEXT NOT NULL, text TEXT NOT NULL);
        PRAGMA user_version = 1;`)
    }
    if (version < 2) migrateTo2(db)
    if (version < 3) db.exec('BEGIN; ALTER TABLE runs ADD COLUMN probes TEXT; PRAGMA user_version = 3; COMMIT;')
    return new HistoryStore(db, file)
  }

  close(): void {
    this.db.close()
  }

  recordRun(result: Pick<DrillResult, 'run_id' | 'drill' | 'drill_file' | 'topology' | 'verdict' | 'started_at' | 'finished_at' | 'duration_ms' | 'measurements' | 'results' | 'probes'> & {status?: DrillResult['status']}, extra: {bundle?: string | null; operator?: string | null} = {}): void {
    const m = result.measurements
    this.db
      .prepare(
        `INSERT OR REPLACE INTO runs (run_id, drill, drill_file, topology, verdict, started_at, finished_at, duration_ms, rto_ms, rpo_ms, lost_writes, results, bundle, operator, status, resolution_ms, probes)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        result.run_id,
        result.drill,
        result.drill_file,
        result.topology,
        result.verdict,
        result.started_at,
        result.finished_at,
        result.duration_ms,
        m.rto_ms,
        m.rpo_ms,
        m.lost_writes,
        JSON.stringify(result.results),
        extra.bundle ?? null,
        extra.operator ?? null,
        result.status ?? 'completed',
        m.resolution_ms ?? null,
        result.probes && result.probes.length > 1
          ? JSON.stringify(
              result.probes.map((p): ProbeFigures => ({
                name: p.name,
                verdict: p.verdict,
                rto_ms: p.measurements.rto_ms,
                rpo_ms: p.measurements.rpo_ms,
                lost_writes: p.measurements.lost_writes,
                resolution_ms: p.measurements.resolution_ms,
              })),
            )
          : null,
      )
  }

  /** Record that a bundle was removed (evidence prune), with why and by whom. */
  recordRemoval(r: Omit<Removal, 'id'>): void {
    this.db.prepare('INSERT INTO removals (at, by, path, run_id, manifest_sha256, reason) VALUES (?, ?, ?, ?, ?, ?)').run(r.at, r.by, r.path, r.run_id, r.manifest_sha256, r.reason)
  }

  removals(): Removal[] {
    return this.db.prepare('SELECT * FROM removals ORDER BY id').all() as unknown as Removal[]
  }

  /** A period report written to a file or directory, and the runs (bundles) it rests on: evidence prune keeps those while the report exists. */
  recordPeriodReport(r: {at: string; period: string; path: string; signed: boolean; runs: {run_id: string; manifest_sha256: string | null}[]}): void {
    const id = Number(this.db.prepare('INSERT INTO period_reports (at, period, path, signed) VALUES (?, ?, ?, ?)').run(r.at, r.period, r.path, r.signed ? 1 : 0).lastInsertRowid)
    const insert = this.db.prepare('INSERT INTO period_report_runs (report_id, run_id, manifest_sha256) VALUES (?, ?, ?)')
    for (const run of r.runs) insert.run(id, run.run_id, run.manifest_sha256)
  }

  /** Every period report recorded, with the runs it lists. */
  periodReports(): PeriodReportRecord[] {
    const reports = this.db.prepare('SELECT * FROM period_reports ORDER BY id').all() as unknown as (Omit<PeriodReportRecord, 'runs' | 'signed'> & {signed: number})[]
    const runs = this.db.prepare('SELECT run_id, manifest_sha256 FROM period_report_runs WHERE report_id = ?')
    return reports.map((r) => ({...r, signed: r.signed === 1, runs: runs.all(r.id) as unknown as PeriodReportRecord['runs']}))
  }

  /** Runs in start order, optionally of one drill and within [since, until). */
  runs(filter: {drill?: string; since?: Date; until?: Date} = {}): RunRow[] {
    const where: string[] = []
    const args: string[] = []
    if (filter.drill) where.push('drill = ?'), args.push(filter.drill)
    if (filter.since) where.push('started_at >= ?'), args.push(filter.since.toISOString())
    if (filter.until) where.push('started_at < ?'), args.push(filter.until.toISOString())
    const rows = this.db.prepare(`SELECT * FROM runs ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY started_at, run_id`).all(...args) as Record<string, unknown>[]
    return rows.map(toRun)
  }

  run(runId: string): RunRow | undefined {
    const row = this.db.prepare('SELECT * FROM runs WHERE run_id = ?').get(runId) as Record<string, unknown> | undefined
    return row ? toRun(row) : undefined
  }

  addNote(runId: string, text: string, author: string, at = new Date()): Note {
    if (!this.run(runId)) {
      const known = this.runs().slice(-3).map((r) => r.run_id)
      throw new ConfigError([{file: this.file, field: 'run_id', message: `no run ${runId} in the history${known.length ? ` (latest: ${known.join(', ')})` : ''}`}], ['firedrill history lists the runs'])
    }
    const r = this.db.prepare('INSERT INTO notes (run_id, at, author, text) VALUES (?, ?, ?, ?)').run(runId, at.toISOString(), author, text)
    return {id: Number(r.lastInsertRowid), run_id: runId, at: at.toISOString(), author, text}
  }

  notes(runId?: string): Note[] {
    const rows = runId ? this.db.prepare('SELECT * FROM notes WHERE run_id = ? ORDER BY id').all(runId) : this.db.prepare('SELECT * FROM notes ORDER BY id').all()
    return rows as unknown as Note[]
  }
}

/**
 * Schema 2: each run's status (a run recorded before it was kept counts as completed unless every objective
 * says "not measured: the run was interrupted/aborted", which only such runs wrote), its resolution, and the
 * removals evidence prune made.
 */
function migrateTo2(db: DatabaseSync): void {
  db.exec(`BEGIN;
    ALTER TABLE runs ADD COLUMN status TEXT NOT NULL DEFAULT 'completed';
    ALTER TABLE runs ADD COLUMN resolution_ms REAL;
    CREATE TABLE removals (
      id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, by TEXT NOT NULL, path TEXT NOT NULL,
      run_id TEXT, manifest_sha256 TEXT, reason TEXT NOT NULL);
    CREATE TABLE period_reports (
      id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, period TEXT NOT NULL, path TEXT NOT NULL, signed INTEGER NOT NULL);
    CREATE TABLE period_report_runs (
      report_id INTEGER NOT NULL REFERENCES period_reports(id), run_id TEXT NOT NULL, manifest_sha256 TEXT);`)
  try {
    const update = db.prepare('UPDATE runs SET status = ? WHERE run_id = ?')
    for (const row of db.prepare('SELECT run_id, results FROM runs').all() as {run_id: string; results: string}[]) {
      const results = JSON.parse(row.results) as ObjectiveResult[]
      const status = results.length > 0 ? results.map((o) => o.reason.match(/^not measured: the run was (interrupted|aborted)\b/)?.[1]).reduce((a, b) => (a === b ? a : undefined)) : undefined
      if (status) update.run(status, row.run_id)
    }
    db.exec('PRAGMA user_version = 2; COMMIT;')
  } catch (error) {
    db.exec('ROLLBACK;')
    throw error
  }
}

function toRun(row: Record<string, unknown>): RunRow {
  return {...(row as unknown as RunRow), results: JSON.parse(row.results as string) as ObjectiveResult[], probes: typeof row.probes === 'string' ? (JSON.parse(row.probes) as ProbeFigures[]) : null}
}

export class HistoryError extends FiredrillError {
  readonly exitCode = ExitCode.BadInput
  readonly code = 'history'
}
