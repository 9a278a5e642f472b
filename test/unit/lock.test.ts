import {existsSync, readFileSync, writeFileSync} from 'node:fs'
import {hostname} from 'node:os'
import path from 'node:path'

import {execa} from 'execa'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {acquireProjectLock, ProjectBusyError, withProjectLocks} from '../../src/session/lock.js'
import {tempDir} from '../support/files.js'

let tmp: ReturnType<typeof tempDir>
beforeEach(() => {
  tmp = tempDir()
})
afterEach(() => tmp.cleanup())

/** The pid of a process that has exited. */
async function deadPid(): Promise<number> {
  const child = execa('node', ['-e', '0'])
  await child
  return child.pid!
}

describe('one drill per topology at a time', () => {
  it('a second holder is refused, naming the first (pid, host, since, command) and how to stop it', () => {
    const first = acquireProjectLock('bank-3site', {dir: tmp.dir, command: 'firedrill run drills/kill-primary.yaml'})
    let error: unknown
    try {
      acquireProjectLock('bank-3site', {dir: tmp.dir})
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(ProjectBusyError)
    expect((error as ProjectBusyError).exitCode).toBe(2)
    expect((error as Error).message).toMatch(new RegExp(`in use by another firedrill \\(pid ${process.pid} on ${hostname()}, since .*: firedrill run drills/kill-primary\\.yaml\\)`))
    expect((error as ProjectBusyError).suggestions[0]).toBe(`wait for it to finish, or stop it: kill -INT ${process.pid} (it reverts its faults first)`)
    first.release()
    acquireProjectLock('bank-3site', {dir: tmp.dir}).release()
  })

  it('other projects are not blocked', () => {
    const a = acquireProjectLock('east', {dir: tmp.dir})
    const b = acquireProjectLock('west', {dir: tmp.dir})
    a.release()
    b.release()
  })

  it('a stale lock (its process is gone) is taken over and reported', async () => {
    const pid = await deadPid()
    writeFileSync(path.join(tmp.dir, 'bank-3site.lock'), JSON.stringify({pid, host: hostname(), started_at: '2026-11-23T01:00:00.000Z', command: 'firedrill run x.yaml'}))
    const messages: string[] = []
    await withProjectLocks(['bank-3site'], async () => {
      expect(JSON.parse(readFileSync(path.join(tmp.dir, 'bank-3site.lock'), 'utf8')).pid).toBe(process.pid)
    }, (m) => messages.push(m), tmp.dir)
    expect(messages).toEqual([expect.stringMatching(new RegExp(`took over the lock of topology bank-3site left by pid ${pid} \\(firedrill run x\\.yaml, since 2026-11-23T01:00:00\\.000Z\\), which is gone`))])
    expect(existsSync(path.join(tmp.dir, 'bank-3site.lock'))).toBe(false)
  })

  it('an unreadable lock file (its writer killed mid-write) is taken over too', () => {
    writeFileSync(path.join(tmp.dir, 'p.lock'), '{"pid": 12')
    const lock = acquireProjectLock('p', {dir: tmp.dir})
    expect(lock.tookOver?.command).toMatch(/unreadable/)
    lock.release()
  })

  it('a lock held on another host is never taken over', () => {
    writeFileSync(path.join(tmp.dir, 'p.lock'), JSON.stringify({pid: 1, host: 'elsewhere', started_at: 'x', command: 'c'}))
    expect(() => acquireProjectLock('p', {dir: tmp.dir})).toThrow(/pid 1 on elsewhere/)
  })

  it('release removes only its own lock, and the lock is released when the work fails', async () => {
    const lock = acquireProjectLock('p', {dir: tmp.dir})
    writeFileSync(lock.file, JSON.stringify({pid: 1, host: 'elsewhere', started_at: 'x', command: 'taken over'}))
    lock.release()
    expect(existsSync(lock.file)).toBe(true)
    await expect(withProjectLocks(['q'], async () => Promise.reject(new Error('boom')), undefined, tmp.dir)).rejects.toThrow('boom')
    expect(existsSync(path.join(tmp.dir, 'q.lock'))).toBe(false)
  })
})
