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

  it('a topology whose networks ask for overlapping subnets', async () => {
    const topology = `name: t1
sites:
  a: {role: primary, subnet: 10.213.1.0/24}
  b: {role: standby, subnet: 10.213.1.0/25}
services:
  web: {sites: [a, b], image: nginx}
`
    const file = tmp.write('overlap.yaml', topology)
    const r = await firedrill(['up', '--topology', file], {env: NO_ENGINE})
    expect(r.exitCode).toBe(2)
    expect(r.stdout).toBe('')
    expect(r.stderr).toContain(`${file}:4:30: sites.b.subnet: 10.213.1.0/25 overlaps 10.213.1.0/24, the subnet of site a's network (sites.a.subnet)`)
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

describe('warnings under --ci', () => {
  it('one warning is one line, however long and however narrow the terminal (no oclif " ›" wrapping)', async () => {
    const file = tmp.write('no-fault.yaml', MINIMAL_DRILL.replace(/steps:[\s\S]*$/, 'steps:\n  - sleep: 1s\n'))
    const r = await firedrill(['run', file, '--ci'], {env: {...NO_ENGINE, OCLIF_COLUMNS: '40'}})
    expect(r.exitCode).toBe(3)
    const warnings = r.stderr.split('\n').filter((l) => l.includes('Warning'))
    expect(warnings).toEqual([`Warning: ${file}: drill kill-primary injects no fault and has no disruptive runbook or manual step, so it has nothing to measure RTO and RPO from`])
    expect(r.stderr).not.toContain('›')
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

  // The root help is printed by bin/run.js without oclif for exactly `firedrill` and `firedrill --help`,
  // and by oclif (our help class, src/cli/help.ts) on every other path; both must print what oclif's
  // stock Help prints. DEBUG=* makes oclif log on stderr, so a silent stderr proves oclif was not loaded.
  const stockRootHelp = `
    import {Config} from '@oclif/core/config'
    import {Help} from '@oclif/core/help'
    await new Help(await Config.load(process.argv[1])).showHelp([])`
  it.each([
    ['80 columns (not a terminal)', {}],
    ['40 columns', {OCLIF_COLUMNS: '40'}],
    ['30 columns (summaries as paragraphs)', {OCLIF_COLUMNS: '30'}],
    // NO_COLOR (set by scripts/test.sh off a terminal) would make Node warn that FORCE_COLOR overrides it.
    ['FORCE_COLOR (bold headers)', {FORCE_COLOR: '1', NO_COLOR: undefined as unknown as string}],
  ])('root help without oclif, through oclif and by oclif stock Help are the same text: %s', async (_, env) => {
    const {execa} = await import('execa')
    const {PACKAGE_ROOT} = await import('../../src/paths.js')
    const fast = await firedrill(['--help'], {env: {...env, DEBUG: '*'}})
    const noArgs = await firedrill([], {env: {...env, DEBUG: '*'}})
    const viaOclif = await execa('node', [BIN.replace(/run\.js$/, 'dev.js'), '--help'], {reject: false, env: {...env, DEBUG: '*'}})
    const stock = await execa('node', ['--input-type=module', '-e', stockRootHelp, PACKAGE_ROOT], {reject: false, env, cwd: PACKAGE_ROOT})
    expect([fast.exitCode, noArgs.exitCode, viaOclif.exitCode, stock.exitCode]).toEqual([0, 0, 0, 0])
    expect([fast.stderr, noArgs.stderr]).toEqual(['', ''])
    expect(String(viaOclif.stderr)).toMatch(/oclif:main/)
    expect(String(viaOclif.stdout)).toBe(String(stock.stdout))
    expect(fast.stdout).toBe(String(stock.stdout))
    expect(noArgs.stdout).toBe(fast.stdout)
    expect(fast.stdout.includes('\u001b[1mCOMMANDS\u001b[22m')).toBe('FORCE_COLOR' in env)
  })

  it('`firedrill help` and `firedrill -h` are the root help (without oclif); `help CMD` and `CMD -h` are the command\'s help', async () => {
    const root = await firedrill(['--help'])
    for (const args of [['help'], ['-h']]) {
      const r = await firedrill(args, {env: {DEBUG: '*'}})
      expect(r.exitCode, args.join(' ')).toBe(0)
      expect(r.stderr, args.join(' ')).toBe('')
      expect(r.stdout, args.join(' ')).toBe(root.stdout)
    }
    const runHelp = await firedrill(['run', '--help'])
    expect(runHelp.stdout).toMatch(/^USAGE$/m)
    for (const args of [['help', 'run'], ['run', '-h']]) {
      const r = await firedrill(args)
      expect(r.exitCode, args.join(' ')).toBe(0)
      expect(r.stdout, args.join(' ')).toBe(runHelp.stdout)
    }
    const verify = await firedrill(['help', 'evidence', 'verify'])
    expect(verify.stdout).toBe((await firedrill(['evidence', 'verify', '--help'])).stdout)
  })

  it('root help lists every topic and every command of the manifest', async () => {
    const {readFileSync} = await import('node:fs')
    const manifest = JSON.parse(readFileSync(new URL('../../oclif.manifest.json', import.meta.url), 'utf8'))
    const r = await firedrill(['--help'], {env: {OCLIF_COLUMNS: '200'}})
    const section = (name: string) => r.stdout.split(`${name}\n`)[1]!.split('\n\n')[0]!.trimEnd()
    const listed = (name: string) => section(name).split('\n').map((line) => line.trim().split('  ')[0])
    expect(listed('TOPICS')).toEqual(['drills', 'evidence', 'export', 'import', 'keys'])
    const ids = Object.keys(manifest.commands) as string[]
    expect(listed('COMMANDS')).toEqual(ids.filter((id) => !id.includes(':')).sort())
    for (const id of ids) {
      const command = manifest.commands[id]
      const [topic] = id.split(':')
      expect(r.stdout).toMatch(new RegExp(`^  ${topic} +${id.includes(':') ? '' : command.summary.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`, 'm'))
    }
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

describe('a reader that stops early', () => {
  // `firedrill run --help | head -1` used to exit 13 with Node's "unsettled top-level await" warning.
  it.each([[['run', '--help']], [['--help']]])('firedrill %j into a pipe closed after the first chunk: exit 0, nothing on stderr', async (args) => {
    const {execa} = await import('execa')
    const child = execa('node', [BIN, ...args], {reject: false, stdin: 'ignore', stdout: 'pipe'})
    child.stdout!.once('data', () => child.stdout!.destroy())
    const r = await child
    expect(r.exitCode).toBe(0)
    expect(String(r.stderr)).toBe('')
  })
})
