import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {DEFAULT_DRILLS_DIR} from '../../src/paths.js'
import {firedrill, NO_ENGINE} from '../support/cli.js'
import {MINIMAL_DRILL, tempDir} from '../support/files.js'

let tmp: ReturnType<typeof tempDir>
beforeAll(() => {
  tmp = tempDir()
})
afterAll(() => tmp.cleanup())

const MANUAL = `  - manual: Promote busan by hand
    instructions: Run the break-glass script on busan.
`

describe('firedrill validate', () => {
  it('the shipped drills and policy are valid (exit 0), even for --ci', async () => {
    const r = await firedrill(['validate', DEFAULT_DRILLS_DIR, '--ci'], {env: NO_ENGINE})
    expect(r.exitCode).toBe(0)
    expect(r.stdout).toMatch(/^ok {4}.*kill-primary\.yaml: drill kill-primary \(4 steps, topology bank-3site\)$/m)
    expect(r.stdout).toMatch(/^ok {4}.*policy\.yaml: policy bank-resilience/m)
    expect(r.stdout).toMatch(/file\(s\) valid\.$/m)
  })

  it('golden: every problem of every file at once, each with file:line:column and field; exit 2', async () => {
    const a = tmp.write('a.yaml', MINIMAL_DRILL.replace('rto: 30s', 'rto: 30 secs').replace('fault: kill', 'fault: explode'))
    const b = tmp.write('b.yaml', MINIMAL_DRILL.replace('  service: postgres\n', '  service: postgres\n  intervall: 50ms\n'))
    const c = tmp.write('c.yaml', 'name: nothing-i-know\n')
    const r = await firedrill(['validate', a, b, c], {env: NO_ENGINE})
    expect(r.exitCode).toBe(2)
    expect(r.stdout.split('\n').filter((l) => l.startsWith('error'))).toEqual([
      `error ${a}:3:8: objectives.rto: "30 secs" is not a duration such as 100ms, 30s, 2m or 1m30s`,
      `error ${a}:11:12: steps[1].fault: unknown fault kind; known kinds: kill, stop, pause, restart, power-cut, host-power-cut, isolate, process-kill, disk-full, partition, degrade`,
      `error ${b}:8:3: probe.intervall: unknown field "intervall"; did you mean "interval"?`,
      `error ${c}:1: not a drill (steps), a topology (sites, services) or a policy (tiers): cannot tell what this file is`,
    ])
    expect(r.stdout).toMatch(/^3 of 3 file\(s\) invalid, 4 problem\(s\)\.$/m)
  })

  it('--ci refuses a manual step with no ci action; without --ci it is fine', async () => {
    const file = tmp.write('manual.yaml', `${MINIMAL_DRILL}${MANUAL}`)
    expect((await firedrill(['validate', file], {env: NO_ENGINE})).exitCode).toBe(0)
    const r = await firedrill(['validate', file, '--ci', '--json'], {env: NO_ENGINE})
    expect(r.exitCode).toBe(2)
    const body = JSON.parse(r.stdout)
    expect(body.valid).toBe(false)
    expect(body.files[0].issues).toEqual([expect.objectContaining({file, line: 15, field: 'steps[3]', message: expect.stringMatching(/has no ci action/)})])
  })

  it('several probes: an objective a probe cannot measure, an unknown kind, a missing service, a shell-string argv; run starts nothing (exit 2)', async () => {
    const multi = MINIMAL_DRILL.replace(
      'objectives:\n  rto: 30s\n  rpo: 0s\nprobe:\n  kind: postgres-write\n  service: postgres\n  password: firedrill\n',
      `probes:
  ledger: {kind: postgres-write, service: postgres, password: firedrill}
  conn: {kind: tcp, service: postgres, port: 5432}
  api: {kind: grpc, service: postgres}
  web: {kind: http, service: gateway, path: /health}
  ready: {kind: command, service: postgres, argv: 'pg_isready -q', in: host}
objectives:
  ledger: {rto: 30s, rpo: 0s}
  conn: {rpo: 0s}
`,
    )
    const file = tmp.write('multi.yaml', multi)
    const r = await firedrill(['validate', file], {env: NO_ENGINE})
    expect(r.exitCode).toBe(2)
    expect(r.stdout.split('\n').filter((l) => l.startsWith('error'))).toEqual([
      `error ${file}:5:15: probes.api.kind: probe kind must be one of: "postgres-write", "mysql-write", "redis-write", "http", "tcp", "command"`,
      `error ${file}:7:51: probes.ready.argv: argv must be a list of arguments (argv), not a shell string`,
    ])
    // Fixed, the probes the schema accepted are checked against the topology and their objectives.
    const second = tmp.write('multi2.yaml', multi.replace('  api: {kind: grpc, service: postgres}\n', '').replace("argv: 'pg_isready -q'", 'argv: [pg_isready, -q]'))
    const r2 = await firedrill(['run', second], {env: NO_ENGINE})
    expect(r2.exitCode).toBe(2)
    expect(r2.stderr).toContain(`${second}:9:15: objectives.conn.rpo: probe conn (kind tcp) cannot read its writes back, so it cannot measure rpo; kinds that can: postgres-write, mysql-write, redis-write, http (with write and read)`)
    expect(r2.stderr).toContain(`${second}:5:30: probes.web.service: service "gateway" is not in topology bank-3site`)
  })

  it('run refuses the same drill without a terminal before reaching the engine (exit 2, not 3)', async () => {
    const file = tmp.write('manual-run.yaml', `${MINIMAL_DRILL}${MANUAL}`)
    const r = await firedrill(['run', file], {env: NO_ENGINE})
    expect(r.exitCode).toBe(2)
    expect(r.stderr).toContain(`${file}:15:5: steps[3]: manual step "Promote busan by hand" has no ci action`)
  })
})

describe('firedrill drills list', () => {
  it('lists the shipped drills with targets, objectives and frequency', async () => {
    const r = await firedrill(['drills', 'list', '--json'], {env: NO_ENGINE})
    expect(r.exitCode).toBe(0)
    const {drills} = JSON.parse(r.stdout)
    const byName = Object.fromEntries(drills.map((d: {name: string}) => [d.name, d]))
    expect(byName['kill-primary']).toMatchObject({targets: ['kill service=postgres role=leader'], objectives: {rto_ms: 30_000, rpo_ms: 0, tier: null}, frequency: 'quarterly'})
    expect(byName['db-process-crash']).toMatchObject({objectives: {rto_ms: 15_000, rpo_ms: 0, tier: 'critical'}, frequency: 'monthly'})
    expect(byName['site-isolation'].objectives.split_brain).toBe(false)
  })

  it('says where the shipped drills and topologies are (the package\'s own directories, in an installed copy too)', async () => {
    const {PACKAGE_ROOT} = await import('../../src/paths.js')
    const r = await firedrill(['drills', 'list'], {env: NO_ENGINE})
    expect(r.stdout).toContain(`Shipped drills: ${path.join(PACKAGE_ROOT, 'drills')}\nShipped topologies: ${path.join(PACKAGE_ROOT, 'fixtures', 'topologies')}`)
    const j = JSON.parse((await firedrill(['drills', 'list', '--json'], {env: NO_ENGINE})).stdout)
    expect(j.shipped_drills).toBe(path.join(PACKAGE_ROOT, 'drills'))
    expect(j.shipped_topologies).toBe(path.join(PACKAGE_ROOT, 'fixtures', 'topologies'))
  })

  it('a file that is not a valid drill is reported, exit 2', async () => {
    const bad = tmp.write('bad-list.yaml', MINIMAL_DRILL.replace('fault: kill', 'fault: explode'))
    const r = await firedrill(['drills', 'list', bad], {env: NO_ENGINE})
    expect(r.exitCode).toBe(2)
    expect(r.stderr).toContain(`${bad}:11:12: steps[1].fault: unknown fault kind`)
  })
})
