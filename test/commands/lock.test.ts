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
