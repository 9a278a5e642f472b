import {readdirSync, readFileSync} from 'node:fs'
import path from 'node:path'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {loadDrill} from '../../src/config/load-drill.js'
import {validateFile} from '../../src/config/validate.js'
import {DEFAULT_DRILLS_DIR, DEFAULT_TOPOLOGY, PACKAGE_ROOT} from '../../src/paths.js'
import {issuesOf} from '../support/config.js'
import {MINIMAL_DRILL, tempDir} from '../support/files.js'

let tmp: ReturnType<typeof tempDir>
beforeEach(() => {
  tmp = tempDir()
})
afterEach(() => tmp.cleanup())


const load = (text: string, opts: {ci?: boolean; deadline?: number} = {}) => loadDrill(tmp.write('drill.yaml', text), {topology: DEFAULT_TOPOLOGY, ...opts})
const drillIssues = (text: string, opts: {ci?: boolean; deadline?: number} = {}) => issuesOf(() => load(text, opts))

const MANUAL_STEP = `  - manual: Promote busan by hand
    instructions: |
      Run bank-switchover on busan.
`
const MANUAL_CI = `    ci:
      argv: [bank-switchover, postgres-busan]
      in: {service: postgres, site: busan}
`

const POLICY = `name: test-policy
tiers:
  critical:
    rto: 30s
    rpo: 0s
    disruptions:
      process: {rto: 10s}
      region: {rto: 5m, rpo: 30s}
  standard:
    rto: 4h
`
const TIERED = MINIMAL_DRILL.replace(/objectives:\n  rto: 30s\n  rpo: 0s\n/, 'tier: critical\n')

describe('manual steps', () => {
  it('are accepted with instructions when someone is at a terminal', () => {
    const {drill} = load(`${MINIMAL_DRILL}${MANUAL_STEP}`)
    expect(drill.steps.at(-1)).toMatchObject({kind: 'manual', manual: 'Promote busan by hand', timeout: 30 * 60_000, instructions: 'Run bank-switchover on busan.\n'})
  })

  it('without a ci action are refused for --ci, naming the step and its line', () => {
    const issues = drillIssues(`${MINIMAL_DRILL}${MANUAL_STEP}`, {ci: true})
    expect(issues).toEqual([expect.objectContaining({line: 15, field: 'steps[3]', message: expect.stringMatching(/manual step "Promote busan by hand" has no ci action/)})])
  })

  it('with a ci action pass --ci, and the action is checked against the topology', () => {
    expect(load(`${MINIMAL_DRILL}${MANUAL_STEP}${MANUAL_CI}`, {ci: true}).drill.steps).toHaveLength(4)
    const issues = drillIssues(`${MINIMAL_DRILL}${MANUAL_STEP}${MANUAL_CI.replace('site: busan', 'site: tokyo')}`, {ci: true})
    expect(issues).toEqual([expect.objectContaining({line: 20, field: 'steps[3].ci.in.site', message: expect.stringMatching(/"tokyo" is not in topology/)})])
  })

  it('take argv, never a shell string', () => {
    const issues = drillIssues(`${MINIMAL_DRILL}${MANUAL_STEP}${MANUAL_CI.replace('[bank-switchover, postgres-busan]', '"bank-switchover postgres-busan"')}`)
    expect(issues).toEqual([expect.objectContaining({field: 'steps[3].ci.argv', message: expect.stringMatching(/list of arguments \(argv\), not a shell string/)})])
  })
})

describe('objectives from a policy tier', () => {
  it('take the tier, then its per-disruption objectives, then the drill’s own, field by field', () => {
    tmp.write('policy.yaml', POLICY)
    expect(load(TIERED).drill.objectives).toEqual({rtoMs: 30_000, rpoMs: 0, splitBrain: undefined})
    expect(load(`disruption: process\n${TIERED}`).drill.objectives).toEqual({rtoMs: 10_000, rpoMs: 0, splitBrain: undefined})
    expect(load(`disruption: region\n${TIERED}`).drill.objectives).toEqual({rtoMs: 300_000, rpoMs: 30_000, splitBrain: undefined})
    const own = load(`disruption: region\nobjectives: {rpo: 1m}\n${TIERED}`)
    expect(own.drill.objectives).toEqual({rtoMs: 300_000, rpoMs: 60_000, splitBrain: undefined})
    expect(own.drill.objectivesFrom).toMatchObject({tier: 'critical', disruption: 'region', policy_name: 'test-policy', policy: path.join(tmp.dir, 'policy.yaml')})
  })

  it('an unknown tier lists the policy’s tiers', () => {
    tmp.write('policy.yaml', POLICY)
    const issues = drillIssues(TIERED.replace('tier: critical', 'tier: gold'))
    expect(issues).toEqual([expect.objectContaining({line: 2, field: 'tier', message: expect.stringMatching(/tier "gold" is not in policy .*policy\.yaml \(tiers: critical, standard\)/)})])
  })

  it('a missing policy file, and a policy without a tier', () => {
    expect(drillIssues(TIERED)).toEqual([expect.objectContaining({field: 'tier', message: expect.stringMatching(/policy file .*policy\.yaml does not exist/)})])
    expect(drillIssues(`policy: ./p.yaml\n${MINIMAL_DRILL}`)).toEqual([expect.objectContaining({line: 1, field: 'policy', message: expect.stringMatching(/only read for a tier/)})])
  })

  it('a policy file with a mistake is reported in that file', () => {
    const policy = tmp.write('policy.yaml', POLICY.replace('rto: 4h', 'rto: someday'))
    expect(drillIssues(TIERED)).toEqual([expect.objectContaining({file: policy, line: 10, field: 'tiers.standard.rto'})])
  })
})

describe('disk-full', () => {
  it('needs a path on a size-limited volume, never a host disk', () => {
    const step = '  - fault: disk-full\n    target: {service: postgres, site: seoul}\n'
    expect(drillIssues(`${MINIMAL_DRILL}${step}`)).toEqual([expect.objectContaining({field: 'steps[3].path', message: expect.stringMatching(/disk-full needs path/)})])
    expect(drillIssues(`${MINIMAL_DRILL}${step}    path: /var/lib/postgresql/data\n`)).toEqual([
      expect.objectContaining({line: 17, field: 'steps[3].path', message: expect.stringMatching(/not on a size-limited volume of postgres/)}),
    ])
  })

  it('path belongs to disk-full only', () => {
    expect(drillIssues(MINIMAL_DRILL.replace('target: {service: postgres, role: leader}', 'target: {service: postgres, role: leader}\n    path: /data'))).toEqual([
      expect.objectContaining({field: 'steps[1].path', message: 'path only applies to disk-full, not kill'}),
    ])
  })
})

describe('a field of another fault kind', () => {
  const kill = 'target: {service: postgres, role: leader}'
  it('is refused at its field, naming the kinds that take it, even where it is the default value of those kinds', () => {
    expect(drillIssues(MINIMAL_DRILL.replace(kill, `${kill}\n    timeout: 5s`))).toEqual([
      expect.objectContaining({line: 13, field: 'steps[1].timeout', message: 'timeout does not apply to kill; it is a field of stop, restart'}),
    ])
    expect(drillIssues(MINIMAL_DRILL.replace('fault: kill', 'fault: pause').replace(kill, `${kill}\n    signal: SIGKILL`))).toEqual([
      expect.objectContaining({field: 'steps[1].signal', message: 'signal does not apply to pause; it is a field of kill, process-kill'}),
    ])
  })

  it("the step's own kind fills in its defaults, and no other kind's", () => {
    const steps = (text: string) => load(text).drill.steps as unknown as Record<string, unknown>[]
    expect(steps(MINIMAL_DRILL)[1]).toMatchObject({fault: 'kill', signal: 'SIGKILL'})
    expect(steps(MINIMAL_DRILL)[1]).not.toHaveProperty('timeout')
    expect(steps(MINIMAL_DRILL.replace('fault: kill', 'fault: stop'))[1]).toMatchObject({fault: 'stop', timeout: 10_000})
    expect(steps(MINIMAL_DRILL.replace('fault: kill', 'fault: stop'))[1]).not.toHaveProperty('signal')
  })
})

describe('a drill that disrupts nothing', () => {
  it('is a warning, not an error', () => {
    const {warnings} = load(MINIMAL_DRILL.replace(/  - fault: kill\n    target: \{service: postgres, role: leader\}\n/, ''))
    expect(warnings).toEqual([expect.stringMatching(/injects no fault and has no disruptive runbook or manual step/)])
    expect(load(MINIMAL_DRILL).warnings).toEqual([])
  })
})

describe('the overall deadline', () => {
  it('defaults to every step’s own bound added up, plus 2 minutes', () => {
    // sleep 1s + kill (a minute for its engine calls) + wait 60s, plus 2m.
    expect(load(MINIMAL_DRILL).drill.deadline).toEqual({ms: 1000 + 60_000 + 60_000 + 120_000, from: 'default'})
  })

  it('is a duration written in the drill, which run --deadline replaces', () => {
    expect(load(`deadline: 10m\n${MINIMAL_DRILL}`).drill.deadline).toEqual({ms: 600_000, from: 'drill'})
    expect(load(`deadline: 10m\n${MINIMAL_DRILL}`, {deadline: 90_000}).drill.deadline).toEqual({ms: 90_000, from: 'flag'})
    expect(drillIssues(`deadline: soon\n${MINIMAL_DRILL}`)).toEqual([expect.objectContaining({line: 1, field: 'deadline', message: expect.stringMatching(/"soon" is not a duration/)})])
    expect(drillIssues(`deadline: 0s\n${MINIMAL_DRILL}`)).toEqual([expect.objectContaining({field: 'deadline', message: expect.stringMatching(/greater than zero/)})])
  })

  it('that the sleeps alone reach is an error, at the deadline or naming --deadline', () => {
    expect(drillIssues(`deadline: 1s\n${MINIMAL_DRILL}`)).toEqual([
      expect.objectContaining({line: 1, field: 'deadline', message: 'the sleeps alone take 1s, so the deadline 1s (set in the drill) can never be met'}),
    ])
    expect(drillIssues(MINIMAL_DRILL, {deadline: 500})).toEqual([
      expect.objectContaining({field: '', message: 'the sleeps alone take 1s, so the deadline 500ms (--deadline) can never be met'}),
    ])
  })

  it('shorter than a step’s own timeout is a warning naming the step: that timeout can never fire', () => {
    const {warnings, drill} = load(`deadline: 30s\n${MINIMAL_DRILL}`)
    expect(drill.deadline).toEqual({ms: 30_000, from: 'drill'})
    expect(warnings).toEqual([
      expect.stringMatching(/drill\.yaml:14:\d+: steps\[2\]: its timeout of 1m can never be reached: after 1s of sleeps before it, the deadline 30s \(set in the drill\) ends the drill first \(aborted, not graded\)$/),
    ])
    expect(load(`deadline: 2m\n${MINIMAL_DRILL}`).warnings).toEqual([])
  })
})

describe('the shipped drills', () => {
  const files = readdirSync(DEFAULT_DRILLS_DIR).filter((f) => f.endsWith('.yaml'))

  it.each(files)('%s is valid, also for --ci, and points editors at its JSON Schema', (file) => {
    const full = path.join(DEFAULT_DRILLS_DIR, file)
    const verdict = validateFile(full, {ci: true})
    expect(verdict.issues).toEqual([])
    expect(verdict.valid).toBe(true)
    expect(readFileSync(full, 'utf8').split('\n')[0]).toMatch(/^# yaml-language-server: \$schema=\.\.\/schemas\/(drill|policy)\.schema\.json$/)
  })

  it('the embedded topology points editors at its JSON Schema too', () => {
    expect(readFileSync(DEFAULT_TOPOLOGY, 'utf8').split('\n')[0]).toBe('# yaml-language-server: $schema=../../../schemas/topology.schema.json')
    expect(path.relative(PACKAGE_ROOT, DEFAULT_TOPOLOGY)).toBe('fixtures/topologies/bank-3site/topology.yaml')
  })

  it.each([
    'fixtures/topologies/messenger-3dc/topology.yaml',
    'fixtures/topologies/messenger-3dc/topology-redundant.yaml',
    'test/fixtures/topologies/mariadb-2site/topology.yaml',
  ])('%s validates and points editors at the JSON Schema', (relative) => {
    const full = path.join(PACKAGE_ROOT, relative)
    const verdict = validateFile(full, {ci: true})
    expect(verdict.issues).toEqual([])
    expect(verdict.valid).toBe(true)
    const schema = path.relative(path.dirname(full), path.join(PACKAGE_ROOT, 'schemas', 'topology.schema.json'))
    expect(readFileSync(full, 'utf8').split('\n')[0]).toBe(`# yaml-language-server: $schema=${schema}`)
  })
})

describe('where a command runs', () => {
  it('must pick exactly one container', () => {
    const step = `  - runbook: look around\n    argv: [hostname]\n    in: {service: postgres}\n`
    expect(drillIssues(`${MINIMAL_DRILL}${step}`)).toEqual([
      expect.objectContaining({line: 17, field: 'steps[3].in', message: expect.stringMatching(/^picks 3 containers \(fd-bank-3site-postgres-seoul, .*\); a command runs in exactly one/)}),
    ])
    expect(load(`${MINIMAL_DRILL}${step.replace('{service: postgres}', '{service: postgres, role: leader}')}`).drill.steps).toHaveLength(4)
    expect(load(`${MINIMAL_DRILL}${step.replace('{service: postgres}', '{service: postgres, site: busan}')}`).drill.steps).toHaveLength(4)
  })
})

describe('revert: false (a fault left as it made it, on purpose)', () => {
  it('is taken where it means something: kill, stop, power-cut, isolate, disk-full', () => {
    expect(load(MINIMAL_DRILL.replace('target: {service: postgres, role: leader}', 'target: {service: postgres, role: leader}\n    revert: false')).drill.steps[1]).toMatchObject({kind: 'fault', fault: 'kill', revert: false})
    expect(load(MINIMAL_DRILL.replace('fault: kill\n    target: {service: postgres, role: leader}', 'fault: power-cut\n    target: {site: seoul}\n    revert: false')).drill.steps[1]).toMatchObject({fault: 'power-cut', revert: false})
  })

  it('is refused at its field where it has no meaning, saying why', () => {
    const issue = (fault: string) => drillIssues(MINIMAL_DRILL.replace('fault: kill\n    target: {service: postgres, role: leader}', `${fault}\n    revert: false`))
    expect(issue('fault: restart\n    target: {service: postgres, role: leader}')).toEqual([
      expect.objectContaining({line: 13, field: 'steps[1].revert', message: 'revert: false has no meaning for restart: a restart has nothing to revert (the container runs again by itself)'}),
    ])
    expect(issue('fault: process-kill\n    target: {service: postgres, role: leader}')).toEqual([expect.objectContaining({field: 'steps[1].revert', message: expect.stringMatching(/^revert: false has no meaning for process-kill: .*supervisor/)})])
    expect(issue('fault: pause\n    target: {service: postgres, role: leader}')).toEqual([expect.objectContaining({field: 'steps[1].revert', message: expect.stringMatching(/^revert: false has no meaning for pause: cleanup and the next run thaw/)})])
    expect(issue('fault: partition\n    groups: [[seoul], [gyeonggi, busan]]')).toEqual([expect.objectContaining({field: 'steps[1].revert', message: expect.stringMatching(/^revert: false has no meaning for partition: .*heal every network fault/)})])
    expect(issue('fault: degrade\n    target: {site: seoul}\n    latency: 50ms')).toEqual([expect.objectContaining({field: 'steps[1].revert', message: expect.stringMatching(/^revert: false has no meaning for degrade/)})])
  })
})

describe('heal and revert: false', () => {
  it('a heal naming a fault left on purpose is refused: there is nothing to heal', () => {
    const text = MINIMAL_DRILL.replace('target: {service: postgres, role: leader}', 'target: {service: postgres, role: leader}\n    name: old-primary\n    revert: false') + '  - heal: [old-primary]\n'
    expect(drillIssues(text)).toEqual([expect.objectContaining({field: 'steps[3].heal[0]', message: 'fault "old-primary" has revert: false (left as it is on purpose), so there is nothing to heal'})])
  })
})
