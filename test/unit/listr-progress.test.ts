import {afterEach, describe, expect, it, vi} from 'vitest'

import {listrProgress} from '../../src/cli/listr-progress.js'

describe('a failed progress phase', () => {
  afterEach(() => vi.restoreAllMocks())

  for (const mode of ['plain', 'live'] as const) {
    it(`${mode}: shows which phase failed, hands the very error on, and leaves printing it to whoever catches it (once)`, async () => {
      let written = ''
      vi.spyOn(process.stderr, 'write').mockImplementation(((chunk: string | Uint8Array) => {
        written += String(chunk)
        return true
      }) as typeof process.stderr.write)
      const boom = Object.assign(new Error('the engine said no\nsecond line of detail'), {exitCode: 4})
      const progress = listrProgress(mode)
      const caught = await progress.phase('Create 6 containers', async () => Promise.reject(boom)).catch((error: unknown) => error)
      vi.restoreAllMocks()
      expect(caught).toBe(boom)
      expect(written).toMatch(/✖ Create 6 containers/)
      // Plain logs: one line as the phase starts, one as it fails; the title is not repeated as its error.
      if (mode === 'plain') expect(written.match(/Create 6 containers/g)).toHaveLength(2)
      expect(written).not.toContain('[FAILED')
      expect(written).not.toContain('the engine said no')
      expect(written).not.toContain('second line of detail')
    })
  }

  it('live, with stdout no terminal (a result redirected to a file): the progress still goes to stderr only', async () => {
    let out = ''
    let err = ''
    vi.spyOn(process.stdout, 'write').mockImplementation(((chunk: string | Uint8Array) => {
      out += String(chunk)
      return true
    }) as typeof process.stdout.write)
    vi.spyOn(process.stderr, 'write').mockImplementation(((chunk: string | Uint8Array) => {
      err += String(chunk)
      return true
    }) as typeof process.stderr.write)
    const tty = process.stdout.isTTY
    process.stdout.isTTY = false as never
    try {
      await listrProgress('live').phase('Start 6 containers', async () => 1)
    } finally {
      process.stdout.isTTY = tty
      vi.restoreAllMocks()
    }
    expect(out).toBe('')
    expect(err).toMatch(/Start 6 containers/)
  })

  it('a phase that succeeds returns its value', async () => {
    vi.spyOn(process.stderr, 'write').mockImplementation((() => true) as typeof process.stderr.write)
    expect(await listrProgress('plain').phase('Add', async () => 42)).toBe(42)
  })
})
