import {writeFileSync} from 'node:fs'
import {hostname} from 'node:os'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {firedrill, NO_ENGINE} from '../support/cli.js'
import {tempDir} from '../support/files.js'

let tmp: ReturnType<typeof tempDir>
beforeAll(() => {
  tmp = tempDir()
  // This test process stands in for a firedrill that is running a drill on bank-3site.
  writeFileSync(path.join(tmp.dir, 'bank-3site.lock'), JSON.stringify({pid: process.pid, host: hostname(), started_at: '2026-11-23T09:00:00.000Z', command: 'run drills/site-isolation.yaml'}))
})
afterAll(() => tmp.cleanup())

describe('a topology in use by another firedrill', () => {
  it.each([
    ['run', ['run', 'drills/kill-primary.yaml']],
    ['up', ['up']],
    ['down', ['down']],
  ])('%s is refused with exit 2, naming the holder, before the engine is asked', async (_name, args) => {
    const r = await firedrill(args, {env: {...NO_ENGINE, FIREDRILL_LOCK_DIR: tmp.dir}})
    expect(r.exitCode).toBe(2)
    expect(r.stderr).toContain(`topology bank-3site is in use by another firedrill (pid ${process.pid} on ${hostname()}, since 2026-11-23T09:00:00.000Z: run drills/site-isolation.yaml)`)
  })
})

describe('a run that was killed and left its journal', () => {
  it('run refuses to start on that topology (exit 2, before the engine), and names the cleanup command', async () => {
    const state = tempDir()
    try {
      const journal = {project: 'bank-3site', run_id: '20261123T090000Z-dead01', pid: 999_999, host: hostname(), started_at: '2026-11-23T09:00:00.000Z', entries: [
        {seq: 1, fault: 'isolate', name: 'seoul-off-wan', description: 'isolate site seoul from the WAN', undo: {kind: 'net-helpers'}, state: 'injected', at: '2026-11-23T09:00:05.000Z'},
      ]}
      writeFileSync(path.join(state.dir, 'bank-3site.journal.json'), JSON.stringify(journal))
      const r = await firedrill(['run', 'drills/kill-primary.yaml'], {env: {...NO_ENGINE, FIREDRILL_STATE_DIR: state.dir, FIREDRILL_LOCK_DIR: path.join(state.dir, 'locks')}})
      expect(r.exitCode).toBe(2)
      expect(r.stderr).toContain('run 20261123T090000Z-dead01 on topology bank-3site (pid 999999')
      expect(r.stderr).toContain('1 fault(s) may still be in place: isolate site seoul from the WAN')
      expect(r.stderr).toContain('firedrill cleanup --project bank-3site')
    } finally {
      state.cleanup()
    }
  })
})
