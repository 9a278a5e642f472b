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

describe('firedrill init --from-compose', () => {
  const validate = async (d: string) => {
    const r = await firedrill(['validate', path.join(d, 'topology'), path.join(d, 'drills'), '--ci', '--json'], {env: NO_ENGINE})
    expect(r.exitCode, r.stdout + r.stderr).toBe(0)
    return JSON.parse(r.stdout).files.map((f: {file: string; kind: string; valid: boolean}) => [path.relative(d, f.file), f.kind, f.valid])
  }
  const drillOf = (d: string) => parse(readFileSync(path.join(d, 'drills/kill-primary.yaml'), 'utf8'))

  it('a compose file with a cluster manager (as export compose writes it): the topology imported, a drill that kills the leader with a write probe, policy and CI files; all validate', async () => {
    const compose = path.join(tmp.dir, 'bank.yml')
    const exported = await firedrill(['export', 'compose', '--topology', 'fixtures/topologies/bank-3site/topology.yaml', '--out', compose], {env: NO_ENGINE})
    expect(exported.exitCode, exported.stderr).toBe(0)
    const d = path.join(tmp.dir, 'ledger-from-compose')
    const r = await firedrill(['init', d, '--from-compose', compose, '--json'], {env: NO_ENGINE})
    expect(r.exitCode, r.stderr).toBe(0)
    const result = JSON.parse(r.stdout)
    expect(result).toMatchObject({dir: d, name: 'ledger-from-compose', example: null, from_compose: compose})
    expect(result.files).toEqual(['.github/workflows/firedrill.yml', '.gitlab-ci.yml', 'drills/kill-primary.yaml', 'drills/policy.yaml', 'topology/topology.yaml'])
    expect(await validate(d)).toEqual([
      ['topology/topology.yaml', 'topology', true],
      ['drills/kill-primary.yaml', 'drill', true],
      ['drills/policy.yaml', 'policy', true],
    ])
    const drill = drillOf(d)
    expect(drill.steps[1]).toMatchObject({fault: 'kill', target: {service: 'postgres', role: 'leader'}})
    expect(drill.probe).toMatchObject({kind: 'postgres-write', service: 'postgres', password: 'firedrill'})
    expect(drill.objectives).toEqual({rto: '60s', rpo: '0s'})
    // The same CI files as a project from an example.
    for (const f of ['.github/workflows/firedrill.yml', '.gitlab-ci.yml']) expect(readFileSync(path.join(d, f), 'utf8')).toBe(readFileSync(path.join(dir, f), 'utf8'))
  })

  it('a plain compose file with a database and its replica: the primary site\'s instance is killed, the password comes from --env, and the user is told nothing promotes without a manager', async () => {
    const compose = tmp.write(
      'shop.yml',
      `services:
  db:
    image: postgres:16
    environment:
      POSTGRES_PASSWORD: \${DB_PASSWORD}
  db-replica:
    image: postgres:16
    environment:
      POSTGRES_PASSWORD: \${DB_PASSWORD}
  web:
    image: nginx:1.27
    ports: ['127.0.0.1:8080:80']
`,
    )
    const d = path.join(tmp.dir, 'shop')
    const r = await firedrill(['init', d, '--from-compose', compose, '--site', 'db=dc1', '--site', 'db-replica=dc2', '--site', 'web=dc1', '--env', 'DB_PASSWORD=pw1'], {env: NO_ENGINE})
    expect(r.exitCode, r.stderr).toBe(0)
    expect(r.stderr).toMatch(/db has no cluster manager in the compose file/)
    expect((await validate(d)).every((f: [string, string, boolean]) => f[2])).toBe(true)
    const drill = drillOf(d)
    expect(drill.steps[1]).toMatchObject({fault: 'kill', target: {service: 'db', site: 'dc1'}})
    expect(drill.probe).toMatchObject({kind: 'postgres-write', service: 'db', password: 'pw1'})
    expect(readFileSync(path.join(d, 'drills/kill-primary.yaml'), 'utf8')).toMatch(/^# db has no cluster manager/m)
  })

  it('no primary/standby structure: the drill kills the service and starts it again (it says so), probing its published port; all validate', async () => {
    const compose = tmp.write('single.yml', `services:\n  api:\n    image: nginx:1.27\n    ports: ['127.0.0.1:8080:80']\n    x-firedrill: {site: east}\n`)
    const d = path.join(tmp.dir, 'single')
    const r = await firedrill(['init', d, '--from-compose', compose], {env: NO_ENGINE})
    expect(r.exitCode, r.stderr).toBe(0)
    expect(r.stderr).toMatch(/No primary\/standby structure found/)
    expect((await validate(d)).every((f: [string, string, boolean]) => f[2])).toBe(true)
    const drill = drillOf(d)
    expect(drill.probe).toMatchObject({kind: 'tcp', service: 'api', port: 80})
    expect(drill.objectives).toEqual({rto: '60s'})
    expect(drill.steps.map((s: Record<string, unknown>) => Object.keys(s)[0])).toEqual(['sleep', 'fault', 'sleep', 'heal', 'wait', 'sleep'])
  })

  it('refuses (exit 2, nothing written): a compose service with no site (file, line, field), --example with it, --site without it', async () => {
    const compose = tmp.write('nosite.yml', 'services:\n  a:\n    image: busybox:1.36\n')
    const d = path.join(tmp.dir, 'refused')
    const r = await firedrill(['init', d, '--from-compose', compose], {env: NO_ENGINE})
    expect(r.exitCode).toBe(2)
    expect(r.stderr).toContain(`${compose}:2:3: services.a: no site for compose service "a"`)
    const both = await firedrill(['init', d, '--from-compose', compose, '--example', 'bank-3site'], {env: NO_ENGINE})
    expect(both.exitCode).toBe(2)
    const alone = await firedrill(['init', d, '--site', 'a=east'], {env: NO_ENGINE})
    expect(alone.exitCode).toBe(2)
    expect(existsSync(d)).toBe(false)
  })
})
