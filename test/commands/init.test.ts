import {existsSync, readFileSync, statSync} from 'node:fs'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {parse} from 'yaml'

import {shippedExamples} from '../../src/project/scaffold.js'
import {firedrill, NO_ENGINE} from '../support/cli.js'
import {tempDir} from '../support/files.js'

let tmp: ReturnType<typeof tempDir>
let dir: string
let init: Awaited<ReturnType<typeof firedrill>>
beforeAll(async () => {
  tmp = tempDir()
  dir = path.join(tmp.dir, 'Payments Drills')
  init = await firedrill(['init', dir, '--json'], {env: NO_ENGINE})
})
afterAll(() => tmp.cleanup())

describe('firedrill init', () => {
  it('writes a topology (named after the directory, with its image build context), a kill-primary drill, a policy and CI files', () => {
    expect(init.exitCode, init.stderr).toBe(0)
    const result = JSON.parse(init.stdout)
    expect(result).toMatchObject({dir, name: 'payments-drills', example: 'bank-3site'})
    for (const f of ['topology/topology.yaml', 'topology/image/Dockerfile', 'drills/kill-primary.yaml', 'drills/policy.yaml', '.github/workflows/firedrill.yml', '.gitlab-ci.yml']) {
      expect(result.files).toContain(f)
      expect(statSync(path.join(dir, f)).size, f).toBeGreaterThan(0)
    }
    expect(readFileSync(path.join(dir, 'topology/topology.yaml'), 'utf8')).toMatch(/^name: payments-drills$/m)
    expect(readFileSync(path.join(dir, 'drills/kill-primary.yaml'), 'utf8')).toMatch(/^topology: \.\.\/topology\/topology\.yaml$/m)
  })

  it('every file it writes validates', async () => {
    const r = await firedrill(['validate', path.join(dir, 'topology'), path.join(dir, 'drills'), '--ci', '--json'], {env: NO_ENGINE})
    expect(r.exitCode, r.stdout).toBe(0)
    const kinds = JSON.parse(r.stdout).files.map((f: {file: string; kind: string; valid: boolean}) => [path.relative(dir, f.file), f.kind, f.valid])
    expect(kinds).toEqual([
      ['topology/topology.yaml', 'topology', true],
      ['drills/kill-primary.yaml', 'drill', true],
      ['drills/policy.yaml', 'policy', true],
    ])
  })

  it('every example it offers gives a project whose files all validate (an example with no drill for it is not offered)', async () => {
    expect(shippedExamples()).toEqual(['bank-3site', 'messenger-3dc'])
    for (const example of shippedExamples()) {
      const d = path.join(tmp.dir, `example-${example}`)
      const w = await firedrill(['init', d, '--example', example], {env: NO_ENGINE})
      expect(w.exitCode, w.stderr).toBe(0)
      const v = await firedrill(['validate', path.join(d, 'topology'), path.join(d, 'drills'), '--ci', '--json'], {env: NO_ENGINE})
      expect(v.exitCode, `${example}: ${v.stdout}${v.stderr}`).toBe(0)
      const files = JSON.parse(v.stdout).files.map((f: {file: string; kind: string; valid: boolean}) => [path.relative(d, f.file), f.kind, f.valid])
      if (example === 'messenger-3dc') {
        // The messenger's Redis master kill, pointed at the project's topology (the redundant variant comes along), validates against it.
        expect(files).toEqual([
          ['topology/topology-redundant.yaml', 'topology', true],
          ['topology/topology.yaml', 'topology', true],
          ['drills/policy.yaml', 'policy', true],
          ['drills/redis-master-kill.yaml', 'drill', true],
        ])
        expect(readFileSync(path.join(d, 'drills/redis-master-kill.yaml'), 'utf8')).toMatch(/^topology: \.\.\/topology\/topology\.yaml$/m)
        expect(readFileSync(path.join(d, 'topology/topology.yaml'), 'utf8')).toMatch(/^name: example-messenger-3dc$/m)
      }
    }
  })

  it('the GitHub Actions workflow parses, runs nightly and on demand, and uploads JUnit, the HTML report and the evidence even when a drill fails', () => {
    const wf = parse(readFileSync(path.join(dir, '.github/workflows/firedrill.yml'), 'utf8'))
    expect(wf.name).toBe('firedrill')
    expect(wf.on.schedule[0].cron).toMatch(/^\S+ \S+ \S+ \S+ \S+$/)
    expect(wf.on).toHaveProperty('workflow_dispatch')
    const jobs = Object.values(wf.jobs) as {'runs-on': string; steps: {uses?: string; run?: string; if?: string; with?: {path?: string}}[]}[]
    expect(jobs).toHaveLength(1)
    const [job] = jobs
    expect(job!['runs-on']).toBeTruthy()
    for (const step of job!.steps) expect(Boolean(step.uses) !== Boolean(step.run), JSON.stringify(step)).toBe(true)
    expect(job!.steps.some((s) => s.run?.startsWith('firedrill run drills/ --ci') && s.run.includes('junit') && s.run.includes('html'))).toBe(true)
    const uploads = job!.steps.filter((s) => s.uses?.startsWith('actions/upload-artifact@'))
    expect(uploads.map((u) => u.with?.path)).toEqual(['.firedrill/runs/*/reports/junit.xml', '.firedrill/runs/*/reports/report.html', '.firedrill/runs/'])
    for (const u of uploads) expect(u.if).toBe('always()')
  })

  it('the GitLab CI file parses: a job with a script, run from a schedule or by hand, the JUnit report and the evidence as artifacts', () => {
    const ci = parse(readFileSync(path.join(dir, '.gitlab-ci.yml'), 'utf8'))
    const job = ci.firedrill
    expect(ci.stages).toContain(job.stage)
    expect(Array.isArray(job.script) && job.script.length).toBeTruthy()
    expect(job.script.some((l: string) => l.startsWith('firedrill run drills/ --ci') && l.includes('junit'))).toBe(true)
    expect(job.rules.map((r: {if: string}) => r.if)).toEqual(['$CI_PIPELINE_SOURCE == "schedule"', '$CI_PIPELINE_SOURCE == "web"'])
    expect(job.artifacts.when).toBe('always')
    expect(job.artifacts.reports.junit).toBe('.firedrill/runs/*/reports/junit.xml')
    expect(job.artifacts.paths).toEqual(['.firedrill/runs/'])
  })

  it('writes nothing over existing files (exit 2), and refuses an example that is not shipped', async () => {
    const before = readFileSync(path.join(dir, 'drills/kill-primary.yaml'), 'utf8')
    const again = await firedrill(['init', dir], {env: NO_ENGINE})
    expect(again.exitCode).toBe(2)
    expect(again.stderr).toContain('firedrill init writes nothing over existing files')
    expect(readFileSync(path.join(dir, 'drills/kill-primary.yaml'), 'utf8')).toBe(before)
    const bad = await firedrill(['init', path.join(tmp.dir, 'other'), '--example', 'nope'], {env: NO_ENGINE})
    expect(bad.exitCode).toBe(2)
    expect(existsSync(path.join(tmp.dir, 'other'))).toBe(false)
  })
})
