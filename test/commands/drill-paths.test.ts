import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {drillFiles} from '../../src/config/drill-files.js'
import {PACKAGE_ROOT} from '../../src/paths.js'
import {firedrill, NO_ENGINE} from '../support/cli.js'
import {MINIMAL_DRILL, tempDir} from '../support/files.js'
import {seedStore} from '../support/history.js'

/** The shipped drills, by name: drills/ also holds policy.yaml, which no command may read as a drill. */
const SHIPPED = ['db-process-crash', 'kill-primary', 'planned-switchover', 'regional-disaster', 'site-isolation', 'site-power-cut', 'wan-degradation']

let tmp: ReturnType<typeof tempDir>
let home: string
beforeAll(() => {
  tmp = tempDir()
  home = path.join(tmp.dir, 'home')
  seedStore(path.join(home, 'history.sqlite')).close()
})
afterAll(() => tmp.cleanup())

describe('drillFiles: one rule for "the drill files in these paths"', () => {
  it('skips policy and topology files in a directory, keeps drills and files whose kind cannot be told (so their loader reports them)', () => {
    tmp.write('d-a.yaml', MINIMAL_DRILL)
    tmp.write('d-policy.yaml', 'name: p\ntiers: {gold: {rto: 10s}}\n')
    tmp.write('d-topology.yaml', 'name: t\nsites: {}\nservices: {}\n')
    tmp.write('d-junk.yaml', 'just: a mapping\n')
    tmp.write('d-broken.yaml', 'steps: [\n')
    tmp.write('d-notes.txt', 'not yaml')
    const found = drillFiles([tmp.dir]).map((f) => path.basename(f)).filter((f) => f.startsWith('d-'))
    expect(found).toEqual(['d-a.yaml', 'd-broken.yaml', 'd-junk.yaml'])
    // A file named on its own is subject to the same rule.
    expect(drillFiles([path.join(tmp.dir, 'd-policy.yaml')])).toEqual([])
  })
})

describe('every command that takes drill files treats drills/ (with its policy.yaml) the same way, from the repository root', () => {
  const env = () => ({FIREDRILL_HOME: home, ...NO_ENGINE})
  const noPolicyAsDrill = (stderr: string) => {
    expect(stderr).not.toContain('policy.yaml')
    expect(stderr).not.toMatch(/expected object|unknown field/)
  }

  it('plan (default ./drills) and plan drills/ list the seven shipped drills', async () => {
    for (const args of [['plan'], ['plan', 'drills/'], ['plan', 'drills']]) {
      const r = await firedrill([...args, '--now', '2026-12-01', '--json'], {env: env()})
      noPolicyAsDrill(r.stderr)
      expect(r.exitCode, `${args.join(' ')}: ${r.stderr}`).toBe(0)
      expect(JSON.parse(r.stdout).drills.map((d: {drill: string}) => d.drill).sort()).toEqual(SHIPPED)
    }
  })

  it('plan --check exits 1 (drills never run are overdue), not 2', async () => {
    const r = await firedrill(['plan', '--check', '--now', '2026-12-01', '--json'], {env: env()})
    noPolicyAsDrill(r.stderr)
    expect(r.exitCode).toBe(1)
    expect(JSON.parse(r.stdout).overdue.length).toBeGreaterThan(0)
  })

  it('report --period 2026-12 holds the shipped drills to their frequency', async () => {
    for (const args of [['report', '--period', '2026-12'], ['report', '--period', '2026-12', '--drills', 'drills/']]) {
      const r = await firedrill([...args, '--reporter', 'json'], {env: env()})
      noPolicyAsDrill(r.stderr)
      expect(r.exitCode, `${args.join(' ')}: ${r.stderr}`).toBe(0)
      expect(r.stdout).toContain('"kill-primary"')
    }
  })

  it('drills list drills/ lists the seven and reports no problem', async () => {
    const r = await firedrill(['drills', 'list', 'drills/', '--json'], {env: env()})
    noPolicyAsDrill(r.stderr)
    expect(r.exitCode).toBe(0)
    const out = JSON.parse(r.stdout)
    expect(out.problems).toEqual([])
    expect(out.drills.map((d: {name: string}) => d.name).sort()).toEqual(SHIPPED)
  })

  it('run drills/ validates the seven and goes on to the engine (here unreachable: exit 3, not 2)', async () => {
    const r = await firedrill(['run', 'drills/', '--ci'], {env: env()})
    noPolicyAsDrill(r.stderr)
    expect(r.exitCode).toBe(3)
  })

  it('drills/messenger/ (another topology\'s drills) is read on its own: drills/ does not include it; listed, planned and validated by its own path', async () => {
    const MESSENGER = ['messenger-gasan-isolation', 'messenger-pangyo-power-cut', 'messenger-redis-master-kill']
    const list = await firedrill(['drills', 'list', 'drills/messenger/', '--json'], {env: env()})
    expect(list.exitCode, list.stderr).toBe(0)
    expect(JSON.parse(list.stdout).problems).toEqual([])
    expect(JSON.parse(list.stdout).drills.map((d: {name: string}) => d.name).sort()).toEqual(MESSENGER)
    const plan = await firedrill(['plan', 'drills/', 'drills/messenger/', '--now', '2026-12-01', '--json'], {env: env()})
    expect(plan.exitCode, plan.stderr).toBe(0)
    expect(JSON.parse(plan.stdout).drills.map((d: {drill: string}) => d.drill).sort()).toEqual([...SHIPPED, ...MESSENGER].sort())
    const validate = await firedrill(['validate', 'drills/messenger/', '--json'], {env: env()})
    expect(validate.exitCode, validate.stdout).toBe(0)
    expect(JSON.parse(validate.stdout).files.map((f: {file: string; kind: string; valid: boolean}) => [path.basename(f.file), f.kind, f.valid])).toEqual([
      ['gasan-isolation.yaml', 'drill', true],
      ['pangyo-power-cut.yaml', 'drill', true],
      ['redis-master-kill.yaml', 'drill', true],
    ])
    const run = await firedrill(['run', 'drills/messenger/', '--ci'], {env: env()})
    noPolicyAsDrill(run.stderr)
    expect(run.exitCode, run.stderr).toBe(3)
  })

  it('validate drills/ checks every file, the policy as a policy', async () => {
    const r = await firedrill(['validate', 'drills/'], {env: env()})
    expect(r.exitCode).toBe(0)
    expect(r.stdout).toMatch(/policy/)
  })
})
