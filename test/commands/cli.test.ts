import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {BIN, firedrill, NO_ENGINE} from '../support/cli.js'
import {MINIMAL_DRILL, tempDir} from '../support/files.js'

let tmp: ReturnType<typeof tempDir>
beforeAll(() => {
  tmp = tempDir()
})
afterAll(() => tmp.cleanup())

describe('bad input: exit 2, the file and line named, nothing started', () => {
  // With no engine reachable, reaching Docker would exit 3: exit 2 proves validation came first.
  it('a drill with a bad duration', async () => {
    const file = tmp.write('bad-duration.yaml', MINIMAL_DRILL.replace('rto: 30s', 'rto: 30 secs'))
    const r = await firedrill(['run', file], {env: NO_ENGINE})
    expect(r.exitCode).toBe(2)
    expect(r.stdout).toBe('')
    expect(r.stderr).toContain(`${file}:3:8: objectives.rto: "30 secs" is not a duration such as 100ms, 30s, 2m or 1m30s`)
  })

  it('under --json the error is one JSON object on stdout', async () => {
    const file = tmp.write('bad-kind.yaml', MINIMAL_DRILL.replace('fault: kill', 'fault: explode'))
    const r = await firedrill(['run', file, '--json'], {env: NO_ENGINE})
    expect(r.exitCode).toBe(2)
    const body = JSON.parse(r.stdout)
    expect(body.error).toMatchObject({code: 'config_invalid', exit_code: 2})
    expect(body.error.issues).toEqual([expect.objectContaining({file, line: 11, field: 'steps[1].fault'})])
  })

  it('a missing drill file', async () => {
    const r = await firedrill(['run', '/nonexistent/drill.yaml'], {env: NO_ENGINE})
    expect(r.exitCode).toBe(2)
    expect(r.stderr).toContain('/nonexistent/drill.yaml: file not found')
  })

  it('an unknown flag', async () => {
    const r = await firedrill(['up', '--nope'], {env: NO_ENGINE})
    expect(r.exitCode).toBe(2)
    expect(r.stderr).toMatch(/Nonexistent flag: --nope/)
  })

  it('a project name with shell metacharacters', async () => {
    const r = await firedrill(['down', '--project', 'bank;rm -rf /'], {env: NO_ENGINE})
    expect(r.exitCode).toBe(2)
    expect(r.stderr).toMatch(/must start with a lower-case letter/)
  })

  it('a --deadline that is not a duration, or that the drill’s sleeps cannot fit', async () => {
    const bad = await firedrill(['run', 'drills/kill-primary.yaml', '--deadline', 'soon'], {env: NO_ENGINE})
    expect(bad.exitCode).toBe(2)
    expect(bad.stderr).toContain('"soon" is not a duration such as 100ms, 30s, 2m or 1m30s (greater than zero)')
    const short = await firedrill(['run', 'drills/kill-primary.yaml', '--deadline', '3s'], {env: NO_ENGINE})
    expect(short.exitCode).toBe(2)
    expect(short.stderr).toMatch(/kill-primary\.yaml: the sleeps alone take 5s, so the deadline 3s \(--deadline\) can never be met/)
  })

  it('a malformed --build-arg', async () => {
    const r = await firedrill(['build', '--build-arg', 'NOEQUALS'], {env: NO_ENGINE})
    expect(r.exitCode).toBe(2)
    expect(r.stderr).toMatch(/--build-arg "NOEQUALS" is not KEY=VALUE/)
  })
})

describe('Docker engine unreachable: exit 3 and one clear sentence', () => {
  it.each([['up'], ['status'], ['down'], ['cleanup', '--project', 'bank-3site'], ['run', 'drills/kill-primary.yaml'], ['run', 'drills/kill-primary.yaml', '--ci']])('%s', async (...args) => {
    const r = await firedrill(args, {env: NO_ENGINE})
    expect(r.exitCode).toBe(3)
    expect(r.stdout).toBe('')
    // One sentence, then its remedies; no progress, no evidence lines, no warnings, no stack trace.
    expect(r.stderr).toMatch(
      /^Error: cannot reach the Docker engine at unix:\/\/\/nonexistent\/firedrill-test\.sock \(ENOENT\) while trying to ping the Docker engine\nTry this:(\n {2}\S[^\n]*)+$/,
    )
  })

  it('under --json: a JSON error on stdout, nothing on stderr', async () => {
    const r = await firedrill(['status', '--json'], {env: NO_ENGINE})
    expect(r.exitCode).toBe(3)
    expect(r.stderr).toBe('')
    expect(JSON.parse(r.stdout).error).toMatchObject({code: 'engine_unavailable', exit_code: 3})
  })
})

describe('help', () => {
  it('documents the exit codes', async () => {
    const r = await firedrill(['run', '--help'])
    expect(r.exitCode).toBe(0)
    for (const line of ['0    every objective met', '1    an objective was missed', '2    bad input', '3    Docker engine unreachable', '4    drill aborted: not completed, past its deadline, or engine lost mid-drill']) {
      expect(r.stdout).toContain(line)
    }
  })
})

describe('start-up', () => {
  it('--version answered without oclif says exactly what oclif says (bin/dev.js goes through oclif)', async () => {
    const fast = await firedrill(['--version'], {env: NO_ENGINE})
    const {execa} = await import('execa')
    const viaOclif = await execa('node', [BIN.replace(/run\.js$/, 'dev.js'), '--version'], {reject: false})
    expect(fast.exitCode).toBe(0)
    expect(fast.stdout).toBe(String(viaOclif.stdout))
    expect(fast.stdout).toMatch(/^firedrill\/\d+\.\d+\.\d+ \S+-\S+ node-v\d+/)
  })

  it('the build wrote oclif.manifest.json listing every command, so help needs no command module', async () => {
    const {readFileSync, readdirSync} = await import('node:fs')
    const manifest = JSON.parse(readFileSync(new URL('../../oclif.manifest.json', import.meta.url), 'utf8'))
    const ids = Object.keys(manifest.commands)
    for (const id of ['up', 'down', 'run', 'export:compose', 'evidence:verify']) expect(ids).toContain(id)
    const topLevel = readdirSync(new URL('../../src/commands', import.meta.url)).filter((f) => f.endsWith('.ts')).map((f) => f.replace(/\.ts$/, ''))
    for (const id of topLevel) expect(ids).toContain(id)
  })
})
