import path from 'node:path'

import {afterAll, describe, expect, it} from 'vitest'

import {loadProbeSet} from '../../src/config/probe-set.js'
import {ConfigError} from '../../src/errors.js'
import {classifySweep, dependencyClosure, faultPhrase, sweepCells, sweepVerdict, type SweepTopology} from '../../src/grade/sweep.js'
import type {DrillResult} from '../../src/model/result.js'
import {DEFAULT_TOPOLOGY, PACKAGE_ROOT} from '../../src/paths.js'
import {cellText, heat, sweepHtml, sweepJunit, sweepMarkdown, sweepTable} from '../../src/report/sweep.js'
import {planSweep, sweepTopology} from '../../src/session/sweep.js'
import {tempDir} from '../support/files.js'
import {cell, row, SWEEP} from '../support/sweep.js'

const MESSENGER = path.join(PACKAGE_ROOT, 'fixtures', 'topologies', 'messenger-3dc', 'topology.yaml')
const REDUNDANT = path.join(PACKAGE_ROOT, 'fixtures', 'topologies', 'messenger-3dc', 'topology-redundant.yaml')
const tmp = tempDir()
afterAll(() => tmp.cleanup())

const PROBES = [
  {name: 'api', service: 'gateway'},
  {name: 'messages', service: 'redis'},
]
const issues = (fn: () => unknown) => {
  try {
    fn()
  } catch (error) {
    if (error instanceof ConfigError) return error.issues.map((i) => `${i.line}:${i.field}: ${i.message}`)
    throw error
  }
  return []
}
const messengerTopo = (): SweepTopology => sweepTopology(loadProbeSet(MESSENGER))

describe('the matrix from a run', () => {
  const measurements = (m: Partial<DrillResult['measurements']>) => ({rto_ms: 0, impact_ms: 0, rpo_ms: 0, lost_writes: 0, indeterminate_writes: 0, resolution_ms: 1200, ...m}) as DrillResult['measurements']
  const result = (status: DrillResult['status'], probes: [string, Partial<DrillResult['measurements']>][]) =>
    ({status, measurements: measurements(probes[0]![1]), probes: probes.map(([name, m]) => ({name, measurements: measurements(m)}))}) as unknown as DrillResult

  it('is recovered within the bound, not recovered (none, or later than the bound), or not measured', () => {
    const cells = sweepCells(result('completed', [['api', {rto_ms: null}], ['messages', {rto_ms: 4400, lost_writes: 3, rpo_ms: 600}], ['late', {rto_ms: 46_000}]]), 45_000)
    expect(cells.map((c) => c.state)).toEqual(['not-recovered', 'recovered', 'not-recovered'])
    expect(cells[1]).toMatchObject({rto_ms: 4400, lost_writes: 3, rpo_ms: 600})
    const cut = sweepCells(result('interrupted', [['api', {rto_ms: 100}]]), 45_000)
    expect(cut).toEqual([expect.objectContaining({state: 'not-measured', rto_ms: null, lost_writes: null})])
  })
})

describe('single points of failure', () => {
  it('follow depends_on: the API needs auth, which runs only in pangyo', () => {
    expect(dependencyClosure('gateway', {gateway: ['api'], api: ['auth', 'redis'], redis: [], auth: ['gateway']}).sort()).toEqual(['api', 'auth', 'gateway', 'redis'])
  })

  it('messenger-3dc: pangyo power loss stops api because auth runs only there, and nothing else', () => {
    const rows = [
      row('pangyo', [cell('api', {state: 'not-recovered', rto_ms: null}), cell('messages', {rto_ms: 4400, lost_writes: 2})]),
      row('gasan', [cell('api'), cell('messages')]),
      row('busan', [cell('api'), cell('messages')]),
      row('edge', [cell('api', {state: 'not-recovered', rto_ms: null}), cell('messages')]),
    ]
    const {spofs, notes} = classifySweep(rows, PROBES, messengerTopo(), 45_000)
    expect(spofs.map((s) => s.sentence)).toEqual(['power loss at pangyo stops api: auth runs only in pangyo'])
    expect(spofs[0]).toMatchObject({probes: ['api'], causes: ['auth']})
    // The gateway is the probes' own entry point, alone on the witness site edge: said, not counted.
    expect(notes).toEqual([expect.objectContaining({fault: {kind: 'power-cut', site: 'edge'}, probes: ['api'], sentence: expect.stringMatching(/^power loss at edge cuts the probes' own entry point \(gateway runs only in edge/)})])
    expect(sweepVerdict(rows, spofs)).toBe('fail')
  })

  it('the redundant variant: auth on every site, nothing runs only in pangyo', () => {
    const topo = sweepTopology(loadProbeSet(REDUNDANT))
    expect(topo.placement.auth).toEqual(['pangyo', 'gasan', 'busan'])
    const rows = [row('pangyo', [cell('api', {rto_ms: 5200}), cell('messages', {rto_ms: 4400})]), row('gasan', [cell('api'), cell('messages')])]
    const {spofs} = classifySweep(rows, PROBES, topo, 45_000)
    expect(spofs).toEqual([])
    expect(sweepVerdict(rows, spofs)).toBe('pass')
  })

  it('without a recorded dependency, says what was observed', () => {
    const topo: SweepTopology = {sites: [{name: 'a', role: 'primary', engine: 'local'}, {name: 'b', role: 'standby', engine: 'local'}], placement: {web: ['a', 'b']}, dependsOn: {}}
    const {spofs} = classifySweep([row('a', [cell('web', {state: 'not-recovered', rto_ms: null})])], [{name: 'web', service: 'web'}], topo, 30_000)
    expect(spofs.map((s) => s.sentence)).toEqual(['power loss at a stops web: not recovered within 30 s (observed; the topology records no dependency that explains it)'])
  })

  it('a service fault names the one instance; isolation reads as such; several causes are listed', () => {
    expect(faultPhrase({kind: 'power-cut', site: 'pangyo', service: 'auth'})).toBe('power loss of auth at pangyo')
    expect(faultPhrase({kind: 'isolate', site: 'gasan'})).toBe('isolating gasan')
    const topo: SweepTopology = {sites: [{name: 'a', role: 'primary', engine: 'local'}, {name: 'b', role: 'standby', engine: 'local'}], placement: {web: ['a', 'b'], auth: ['a'], queue: ['a']}, dependsOn: {web: ['auth', 'queue']}}
    const {spofs} = classifySweep([row('a', [cell('web', {state: 'not-recovered', rto_ms: null})], {fault: {kind: 'isolate', site: 'a'}})], [{name: 'web', service: 'web'}], topo, 30_000)
    expect(spofs[0]!.sentence).toBe('isolating a stops web: auth and queue run only in a')
    // The same service fault on the instance alone: only what that one fault wipes out is a cause.
    const one = classifySweep([row('a', [cell('web', {state: 'not-recovered', rto_ms: null})], {fault: {kind: 'power-cut', site: 'a', service: 'auth'}})], [{name: 'web', service: 'web'}], topo, 30_000)
    expect(one.spofs[0]!.sentence).toBe('power loss of auth at a stops web: auth runs only in a')
  })

  it('a cell not measured fails the sweep without being named a single point of failure', () => {
    const rows = [row('a', [cell('web', {state: 'not-measured', rto_ms: null})], {status: 'interrupted'})]
    const topo: SweepTopology = {sites: [{name: 'a', role: 'primary', engine: 'local'}], placement: {web: ['a']}, dependsOn: {}}
    const {spofs} = classifySweep(rows, [{name: 'web', service: 'web'}], topo, 30_000)
    expect(spofs).toEqual([])
    expect(sweepVerdict(rows, spofs)).toBe('fail')
  })
})

describe('every renderer of the matrix', () => {
  it('a cell in words', () => {
    expect(cellText(cell('api', {state: 'not-recovered', rto_ms: null, lost_writes: null}), 45_000)).toBe('not recovered within 45s')
    expect(cellText(cell('m', {rto_ms: 4400, lost_writes: 2, rpo_ms: 500}), 45_000)).toBe('RTO 4.40 s ± 1.20 s, 2 lost (RPO 0.50 s)')
    expect(cellText(cell('m', {lost_writes: null}), 45_000)).toBe('unaffected')
    expect(cellText(cell('m', {state: 'not-measured'}), 45_000)).toBe('not measured')
  })

  it('table: a row per fault, a column per probe, the row time, then one sentence per single point of failure', () => {
    const out = sweepTable(SWEEP)
    expect(out).toMatch(/fault\s+│?\s*api\s+│?\s*messages\s+│?\s*took/)
    expect(out).toMatch(/power-cut pangyo.*not recovered within 45s.*RTO 4\.40 s ± 1\.20 s, 2 lost/)
    expect(out).toContain('Single point of failure: power loss at pangyo stops api: auth runs only in pangyo.')
    expect(out).toContain("Note: power loss at edge cuts the probes' own entry point.")
    expect(out.match(/Single point of failure/g)).toHaveLength(1)
  })

  it('Markdown: the same matrix as a table and the findings', () => {
    const md = sweepMarkdown(SWEEP)
    expect(md).toContain('| fault | api (http → gateway) | messages (redis-write → redis) | took |')
    expect(md).toContain('| power-cut pangyo | not recovered within 45s, 0 lost | RTO 4.40 s ± 1.20 s, 2 lost (RPO 0.50 s) | 40 s |')
    expect(md).toContain('- Single point of failure: power loss at pangyo stops api: auth runs only in pangyo.')
  })

  it('HTML: a heat map (colour by RTO against the bound), the SPOF cell marked, nothing fetched, no script', () => {
    const html = sweepHtml(SWEEP)
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3)/)
    expect(html.match(/class="cell spof"/g)).toHaveLength(1)
    expect(html).toContain('background:#8b1a1a')
    expect(heat(cell('a'), 45_000)).toBe('#2e9e4f')
    expect(heat(cell('a', {lost_writes: 3}), 45_000)).toBe('#f2a900')
    expect(heat(cell('a', {rto_ms: 45_000}), 45_000)).toBe('hsl(5, 75%, 42%)')
    expect(heat(cell('a', {rto_ms: 0.1}), 45_000)).toMatch(/^hsl\(80,/)
    expect(heat(undefined, 45_000)).toBe('#c9ced6')
    expect(html).toContain('1 SPOF')
  })

  it('JUnit: one testcase per cell; the SPOF cell fails with its sentence, the entry-point note is skipped', () => {
    const xml = sweepJunit(SWEEP)
    expect(xml.match(/<testcase /g)).toHaveLength(6)
    expect(xml).toMatch(/tests="6" failures="1" errors="0" skipped="1"/)
    expect(xml).toContain('<failure message="power loss at pangyo stops api: auth runs only in pangyo" type="single-point-of-failure">')
    expect(xml).toContain('name="power-cut gasan: messages"')
  })
})

describe('the probe set lives with the topology', () => {
  it('messenger-3dc (both), bank-3site: probes: with their kinds; depends_on read', () => {
    expect(loadProbeSet(MESSENGER).probes.map((p) => `${p.name}:${p.spec.kind}:${p.spec.service}`)).toEqual(['api:http:gateway', 'messages:redis-write:redis'])
    expect(loadProbeSet(REDUNDANT).probes.map((p) => p.name)).toEqual(['api', 'messages'])
    const bank = loadProbeSet(DEFAULT_TOPOLOGY)
    expect(bank.probes.map((p) => `${p.name}:${p.spec.kind}`)).toEqual(['ledger:postgres-write'])
    expect(bank.dependsOn.postgres).toEqual(['etcd'])
  })

  const topo = (extra: string) =>
    tmp.write(
      `t-${Math.random().toString(36).slice(2)}.yaml`,
      `name: t\nsites:\n  a: {role: primary}\n  b: {role: standby}\nservices:\n  web:\n    sites: [a, b]\n    image: nginx:1\n${extra}`,
    )

  it('refuses a probe of an unknown service or kind, a bad field, a dependency that does not exist, with line and field', () => {
    expect(issues(() => loadProbeSet(topo('    depends_on: [db]\nprobes:\n  web: {kind: http, service: nope}\n')))).toEqual([
      '9:services.web.depends_on[0]: service "db" is not in this topology (services: web)',
      '11:probes.web.service: service "nope" is not in this topology (services: web)',
    ])
    expect(issues(() => loadProbeSet(topo('probes:\n  web: {kind: http, service: web, port: 0}\n')))).toEqual([expect.stringMatching(/^10:probes\.web\.port: /)])
    expect(issues(() => loadProbeSet(topo('probes:\n  web: {kind: carrier-pigeon, service: web}\n')))).toEqual([expect.stringMatching(/^10:probes\.web\.kind: probe kind must be one of/)])
  })

  it('a topology without one is refused for a sweep, naming the remedy; --probes FILE gives one', () => {
    const file = topo('')
    expect(issues(() => loadProbeSet(file))).toEqual([expect.stringMatching(/:probes: topology t has no probe set: add a probes: section/)])
    const probes = tmp.write('probes.yaml', 'probes:\n  web: {kind: tcp, service: web, port: 80}\n')
    expect(loadProbeSet(file, probes).probes.map((p) => p.name)).toEqual(['web'])
    const bad = tmp.write('bad-probes.yaml', 'probes:\n  web: {kind: tcp, service: db, port: 80}\n')
    expect(issues(() => loadProbeSet(file, bad))).toEqual(['2:probes.web.service: service "db" is not in topology t (services: web)'])
  })
})

describe('planning a sweep', () => {
  const opts = {fault: 'power-cut' as const, settleMs: 15_000, boundMs: 45_000}
  it('one drill per site, in the topology order: the fault alone, settle, wait recovered up to the bound; each probe graded on the bound', () => {
    const plan = planSweep(loadProbeSet(MESSENGER), opts)
    expect(plan.map((p) => p.loaded.drill.name)).toEqual(['sweep-power-cut-pangyo', 'sweep-power-cut-gasan', 'sweep-power-cut-busan', 'sweep-power-cut-edge'])
    const steps = plan[0]!.loaded.drill.steps
    expect(steps.map((s) => s.kind)).toEqual(['fault', 'sleep', 'wait'])
    expect(steps[0]).toMatchObject({fault: 'power-cut', target: {site: 'pangyo'}, revert: true})
    expect(steps[2]).toMatchObject({wait: 'recovered', timeout: 30_000})
    expect(plan[0]!.loaded.drill.probes.map((p) => p.objectives)).toEqual([{rtoMs: 45_000}, {rtoMs: 45_000}])
  })

  it('--sites picks sites; --services one instance at a time (a kill of its container); isolate', () => {
    expect(planSweep(loadProbeSet(MESSENGER), {...opts, sites: ['gasan', 'pangyo']}).map((p) => p.fault.site)).toEqual(['pangyo', 'gasan'])
    const svc = planSweep(loadProbeSet(MESSENGER), {...opts, services: ['auth', 'api']})
    expect(svc.map((p) => `${p.fault.site}/${p.fault.service}`)).toEqual(['pangyo/auth', 'pangyo/api', 'gasan/api', 'busan/api'])
    expect(svc[0]!.loaded.drill.steps[0]).toMatchObject({fault: 'kill', signal: 'SIGKILL', target: {service: 'auth', site: 'pangyo'}})
    expect(planSweep(loadProbeSet(MESSENGER), {...opts, fault: 'isolate'})[1]!.loaded.drill.steps[0]).toMatchObject({fault: 'isolate', target: {site: 'gasan'}})
  })

  it('refuses unknown sites and services, isolate per service, a settle not shorter than the bound (exit 2, the flag named)', () => {
    const set = loadProbeSet(MESSENGER)
    expect(issues(() => planSweep(set, {...opts, sites: ['mars']}))).toEqual([expect.stringMatching(/:--sites: site "mars" is not in topology messenger-3dc \(sites: pangyo, gasan, busan, edge\)/)])
    expect(issues(() => planSweep(set, {...opts, services: ['db']}))).toEqual([expect.stringMatching(/--services: service "db" is not in topology/)])
    expect(issues(() => planSweep(set, {...opts, fault: 'isolate', services: ['auth']}))).toEqual([expect.stringMatching(/--services: isolate cuts a whole site/)])
    expect(issues(() => planSweep(set, {...opts, settleMs: 45_000}))).toEqual([expect.stringMatching(/--settle: settle/)])
  })
})

describe('a drill shares the probe set: probes: topology', () => {
  it('takes the topology\'s probes, objectives per probe name, as if written in the drill', async () => {
    const {loadDrill} = await import('../../src/config/load-drill.js')
    const drill = tmp.write('shared.yaml', `name: shared\ntopology: ${MESSENGER}\nprobes: topology\nobjectives:\n  api: {rto: 60s}\nsteps:\n  - fault: power-cut\n    target: {site: pangyo}\n  - wait: recovered\n    timeout: 30s\n`)
    const loaded = loadDrill(drill)
    expect(loaded.drill.named).toBe(true)
    expect(loaded.drill.probes.map((p) => `${p.name}:${p.spec.kind}`)).toEqual(['api:http', 'messages:redis-write'])
    expect(loaded.drill.probes[0]!.objectives.rtoMs).toBe(60_000)
  })

  it('a topology without a probe set is refused at the drill\'s probes line', async () => {
    const {loadDrill} = await import('../../src/config/load-drill.js')
    const bare = tmp.write('bare.yaml', 'name: bare\nsites:\n  a: {role: primary}\nservices:\n  web:\n    sites: [a]\n    image: nginx:1\n')
    const drill = tmp.write('shared-bare.yaml', `name: shared\ntopology: ${bare}\nprobes: topology\nobjectives:\n  web: {rto: 60s}\nsteps:\n  - sleep: 1s\n`)
    expect(issues(() => loadDrill(drill))).toEqual([expect.stringMatching(/^3:probes: probes: topology takes the topology's probe set, and .*bare\.yaml has none/)])
  })
})
