import {existsSync, readFileSync, rmSync} from 'node:fs'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {Journal, journalFile, readJournal, refuseIfUnfinished} from '../../src/drill/journal.js'
import {journalTopologyFile} from '../../src/drill/cleanup.js'
import {EnvironmentError} from '../../src/errors.js'
import {tempDir} from '../support/files.js'

let tmp: ReturnType<typeof tempDir>
beforeEach(() => {
  tmp = tempDir()
})
afterEach(() => tmp.cleanup())

const pause = {fault: 'pause', name: 'freeze-east', description: 'pause fd-p-app-east', undo: {kind: 'unpause' as const, containers: [{id: 'abc', name: 'fd-p-app-east'}]}}

describe('the crash journal', () => {
  it('is written before a fault is injected, follows it, and goes when every fault is undone', () => {
    const j = Journal.begin('p', 'run-1', {dir: tmp.dir})
    expect(existsSync(journalFile('p', tmp.dir))).toBe(false)
    const seq = j.intend(pause)
    expect(readJournal('p', tmp.dir)).toMatchObject({project: 'p', run_id: 'run-1', pid: process.pid, entries: [{seq: 1, state: 'injecting', undo: {kind: 'unpause'}}]})
    j.mark(seq, 'injected')
    expect(readJournal('p', tmp.dir)!.entries[0]!.state).toBe('injected')
    j.mark(seq, 'reverted')
    expect(j.finish()).toEqual([])
    expect(existsSync(journalFile('p', tmp.dir))).toBe(false)
  })

  it('stays when a fault was not undone, and nothing new starts on that topology until cleanup', () => {
    const j = Journal.begin('p', 'run-2', {dir: tmp.dir})
    j.mark(j.intend(pause), 'injected')
    expect(j.finish()).toHaveLength(1)
    expect(JSON.parse(readFileSync(journalFile('p', tmp.dir), 'utf8')).entries).toHaveLength(1)
    let error: unknown
    try {
      refuseIfUnfinished('p', tmp.dir)
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(EnvironmentError)
    expect((error as Error).message).toMatch(new RegExp(`run run-2 on topology p \\(pid ${process.pid} on .*\\) did not finish: 1 fault\\(s\\) may still be in place: pause fd-p-app-east`))
    expect((error as EnvironmentError).suggestions).toEqual(['restore the topology first: firedrill cleanup --project p'])
    expect(() => refuseIfUnfinished('other', tmp.dir)).not.toThrow()
  })
})

describe('the journal names the topology file', () => {
  it('so cleanup --project finds the engines of its sites; not when the file is gone', () => {
    const topologyFile = tmp.write('topology.yaml', 'project: p\n')
    const j = Journal.begin('p', 'run-3', {dir: tmp.dir, topologyFile})
    j.mark(j.intend(pause), 'injected')
    expect(readJournal('p', tmp.dir)).toMatchObject({topology_file: topologyFile})
    expect(journalTopologyFile('p', tmp.dir)).toBe(topologyFile)
    rmSync(topologyFile)
    expect(journalTopologyFile('p', tmp.dir)).toBeUndefined()
    expect(journalTopologyFile('no-such-project', tmp.dir)).toBeUndefined()
  })
})
