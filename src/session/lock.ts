import {closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync} from 'node:fs'
import {hostname, tmpdir} from 'node:os'
import path from 'node:path'

import {ProjectBusyError} from '../errors.js'

/** Who holds a topology project: enough for a person to find the process, and for firedrill to tell a stale lock. */
export interface LockHolder {
  pid: number
  host: string
  started_at: string
  command: string
}

export {ProjectBusyError} from '../errors.js'

/**
 * Where locks live: one directory per machine (the engine is this machine's), so firedrill runs
 * started from different directories still see each other. FIREDRILL_LOCK_DIR moves it.
 */
export function lockDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.FIREDRILL_LOCK_DIR || path.join(tmpdir(), 'firedrill-locks')
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

function readHolder(file: string): LockHolder | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as LockHolder
  } catch {
    return undefined
  }
}

export interface ProjectLock {
  readonly file: string
  /** Set when a lock left by a process that is gone was taken over. */
  readonly tookOver?: LockHolder
  release(): void
}

/**
 * Take the lock of a topology project, or say who holds it. A lock whose holder is gone (same host,
 * no such process) is stale: it is taken over, and `tookOver` says whose it was.
 */
export function acquireProjectLock(project: string, opts: {dir?: string; command?: string; now?: () => Date} = {}): ProjectLock {
  const dir = opts.dir ?? lockDir()
  mkdirSync(dir, {recursive: true, mode: 0o1777})
  const file = path.join(dir, `${project}.lock`)
  const me: LockHolder = {pid: process.pid, host: hostname(), started_at: (opts.now?.() ?? new Date()).toISOString(), command: opts.command ?? process.argv.slice(1).join(' ')}
  let tookOver: LockHolder | undefined
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(file, 'wx', 0o644)
      try {
        writeSync(fd, `${JSON.stringify(me)}\n`)
      } finally {
        closeSync(fd)
      }
      return {
        file,
        tookOver,
        release() {
          // Only our own lock: never one that someone took over meanwhile.
          if (readHolder(file)?.pid === me.pid && readHolder(file)?.host === me.host) unlinkSync(file)
        },
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    }
    const holder = readHolder(file)
    if (holder && (holder.host !== me.host || alive(holder.pid))) {
      throw new ProjectBusyError(
        `topology ${project} is in use by another firedrill (pid ${holder.pid} on ${holder.host}, since ${holder.started_at}: ${holder.command}); one drill per topology at a time`,
        [holder.host === me.host ? `wait for it to finish, or stop it: kill -INT ${holder.pid} (it reverts its faults first)` : `it runs on another host; if that host is gone, remove ${file}`],
      )
    }
    // Stale (its process is gone) or unreadable (a holder killed while writing it): take it over.
    tookOver = holder ?? {pid: 0, host: me.host, started_at: 'unknown', command: 'unknown (unreadable lock file)'}
    try {
      unlinkSync(file)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
    }
  }
  throw new ProjectBusyError(`could not take the lock of topology ${project} (${file}): others keep taking it`)
}

/** Hold the locks of several projects while `fn` runs; a stale lock taken over is reported through `onMessage`. */
export async function withProjectLocks<T>(projects: readonly string[], fn: () => Promise<T>, onMessage: (message: string) => void = () => {}, dir?: string): Promise<T> {
  const held: ProjectLock[] = []
  try {
    for (const project of [...new Set(projects)].sort()) {
      const lock = acquireProjectLock(project, {dir})
      if (lock.tookOver) {
        onMessage(`took over the lock of topology ${project} left by pid ${lock.tookOver.pid} (${lock.tookOver.command}, since ${lock.tookOver.started_at}), which is gone; "firedrill status" shows whether it left the topology unhealthy`)
      }
      held.push(lock)
    }
    return await fn()
  } finally {
    for (const lock of held.reverse()) lock.release()
  }
}
