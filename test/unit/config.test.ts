import {readFileSync} from 'node:fs'
import path from 'node:path'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {jsonSchemas} from '../../src/config/json-schema.js'
import {loadDrill} from '../../src/config/load-drill.js'
import {loadTopology} from '../../src/config/load-topology.js'
import {DEFAULT_TOPOLOGY, PACKAGE_ROOT} from '../../src/paths.js'
import {issuesOf} from '../support/config.js'
import {MINIMAL_DRILL, tempDir} from '../support/files.js'

let tmp: ReturnType<typeof tempDir>
beforeEach(() => {
  tmp = tempDir()
})
afterEach(() => tmp.cleanup())


const drillIssues = (text: string) => issuesOf(() => loadDrill(tmp.write('drill.yaml', text), {topology: DEFAULT_TOPOLOGY}))

describe('the embedded topology', () => {
  it('places an etcd member and a Patroni node on each of the three sites', () => {
    const t = loadTopology(DEFAULT_TOPOLOGY)
    expect(t.project).toBe('bank-3site')
    expect(t.sites.map((s) => [s.name, s.role])).toEqual([
      ['seoul', 'primary'],
      ['gyeonggi', 'standby'],
      ['busan', 'replica'],
    ])
    expect(t.instances.map((i) => i.containerName).sort()).toEqual(
      ['etcd-busan', 'etcd-gyeonggi', 'etcd-seoul', 'postgres-busan', 'postgres-gyeonggi', 'postgres-seoul'].map((n) => `fd-bank-3site-${n}`),
    )
    expect(t.networks.map((n) => n.name).sort()).toEqual(['fd-bank-3site-busan', 'fd-bank-3site-gyeonggi', 'fd-bank-3site-seoul', 'fd-bank-3site-wan'])
    const pg = (site: string) => t.instances.find((i) => i.service === 'postgres' && i.site === site)!
    expect(pg('busan').env.PATRONI_NOFAILOVER).toBe('true')
    expect(pg('gyeonggi').env.PATRONI_NOFAILOVER).toBe('false')
    expect(pg('seoul').env.PATRONI_CAN_BOOTSTRAP).toBe('true')
    expect(pg('seoul').hostname).toBe('postgres-seoul')
    expect(pg('seoul').env.PATRONI_NAME).toBe('postgres-seoul')
    expect(t.images).toHaveLength(1)
    expect(t.images[0]!.build?.contextDir).toBe(path.join(path.dirname(DEFAULT_TOPOLOGY), 'image'))
  })

  it('the shipped kill-primary drill validates against it', () => {
    const {drill, topology} = loadDrill(path.join(PACKAGE_ROOT, 'drills', 'kill-primary.yaml'))
    expect(topology.file).toBe(DEFAULT_TOPOLOGY)
    expect(drill.objectives).toEqual({rtoMs: 30_000, rpoMs: 0})
    expect(drill.probe.interval).toBe(100)
    expect(drill.steps.map((s) => s.kind)).toEqual(['sleep', 'fault', 'wait', 'sleep'])
  })
})

describe('drill validation names file, line and field', () => {
  it('a duration that does not parse', () => {
    const issues = drillIssues(MINIMAL_DRILL.replace('rto: 30s', 'rto: 30 secs'))
    expect(issues).toEqual([expect.objectContaining({line: 3, field: 'objectives.rto', message: expect.stringMatching(/"30 secs" is not a duration/)})])
    expect(issues[0]!.file).toMatch(/drill\.yaml$/)
  })

  it('an unknown nested field, pointing at the key', () => {
    const issues = drillIssues(MINIMAL_DRILL.replace('  service: postgres\n', '  service: postgres\n  intervall: 50ms\n'))
    expect(issues).toEqual([expect.objectContaining({line: 8, column: 3, field: 'probe.intervall', message: expect.stringMatching(/unknown field "intervall"; did you mean "interval"/)})])
  })

  it('an unknown fault kind lists the known ones', () => {
    const issues = drillIssues(MINIMAL_DRILL.replace('fault: kill', 'fault: explode'))
    expect(issues).toEqual([expect.objectContaining({line: 11, field: 'steps[1].fault', message: expect.stringMatching(/known kinds: kill/)})])
  })

  it('a step of no known kind', () => {
    const issues = drillIssues(MINIMAL_DRILL.replace('  - sleep: 1s', '  - snooze: 1s'))
    expect(issues).toEqual([expect.objectContaining({line: 10, field: 'steps[0]', message: expect.stringMatching(/one of: sleep, fault, wait/)})])
  })

  it('missing objectives', () => {
    const issues = drillIssues(MINIMAL_DRILL.replace(/objectives:\n  rto: 30s\n  rpo: 0s\n/, ''))
    expect(issues).toEqual([expect.objectContaining({field: 'objectives'})])
  })

  it('a zero probe interval', () => {
    const issues = drillIssues(MINIMAL_DRILL.replace('  service: postgres\n', '  service: postgres\n  interval: 0s\n'))
    expect(issues).toEqual([expect.objectContaining({line: 8, field: 'probe.interval', message: expect.stringMatching(/at least 10 ms/)})])
  })

  it('a target naming a service the topology does not have', () => {
    const issues = drillIssues(MINIMAL_DRILL.replace('target: {service: postgres, role: leader}', 'target: {service: mysql, role: leader}'))
    expect(issues).toContainEqual(expect.objectContaining({line: 12, field: 'steps[1].target.service', message: expect.stringMatching(/"mysql" is not in topology bank-3site/)}))
  })

  it('every problem at once, not just the first', () => {
    const issues = drillIssues(MINIMAL_DRILL.replace('rto: 30s', 'rto: soon').replace('fault: kill', 'fault: explode'))
    expect(issues.map((i) => i.field)).toEqual(['objectives.rto', 'steps[1].fault'])
  })

  it('duplicate keys are a YAML error with their line', () => {
    const issues = drillIssues(MINIMAL_DRILL.replace('  rpo: 0s\n', '  rpo: 0s\n  rto: 10s\n'))
    expect(issues).toEqual([expect.objectContaining({line: 5, message: expect.stringMatching(/YAML: Map keys must be unique/)})])
  })

  it('an empty file, and a file that is not a mapping', () => {
    expect(drillIssues('')).toEqual([expect.objectContaining({message: 'file is empty'})])
    expect(drillIssues('- a\n- b\n')).toEqual([expect.objectContaining({message: expect.stringMatching(/expected a mapping/)})])
  })

  it('a drill naming a topology file that does not exist', () => {
    const file = tmp.write('drill.yaml', `topology: ./nowhere.yaml\n${MINIMAL_DRILL}`)
    expect(issuesOf(() => loadDrill(file))).toEqual([expect.objectContaining({line: 1, field: 'topology', message: expect.stringMatching(/nowhere\.yaml does not exist/)})])
  })
})

describe('topology validation', () => {
  const topology = (services: string) => `name: t1
sites:
  a: {role: primary}
  b: {role: standby}
services:
${services}`

  it('a service on an undeclared site', () => {
    const file = tmp.write('t.yaml', topology('  web:\n    sites: [a, c]\n    image: nginx\n'))
    expect(issuesOf(() => loadTopology(file))).toEqual([expect.objectContaining({line: 7, field: 'services.web.sites[1]', message: expect.stringMatching(/site "c" is not declared/)})])
  })

  it('a service with neither image nor build', () => {
    const file = tmp.write('t.yaml', topology('  web:\n    sites: [a]\n'))
    expect(issuesOf(() => loadTopology(file))).toEqual([expect.objectContaining({field: 'services.web', message: expect.stringMatching(/needs an image, a build, or both/)})])
  })

  it('names with shell metacharacters', () => {
    const file = tmp.write('t.yaml', topology('  "web;rm":\n    sites: [a]\n    image: nginx\n'))
    expect(issuesOf(() => loadTopology(file))).toEqual([expect.objectContaining({line: 6, field: 'services.web;rm', message: expect.stringMatching(/only a-z, 0-9 and "-"/)})])
  })

  it('a command given as a shell string', () => {
    const file = tmp.write('t.yaml', topology('  web:\n    sites: [a]\n    image: nginx\n    command: "nginx -g daemon off"\n'))
    expect(issuesOf(() => loadTopology(file))).toEqual([expect.objectContaining({line: 9, field: 'services.web.command', message: expect.stringMatching(/argv/)})])
  })

  it('an unknown variable in env', () => {
    const file = tmp.write('t.yaml', topology('  web:\n    sites: [a]\n    image: nginx\n    env: {X: "${region}"}\n'))
    expect(issuesOf(() => loadTopology(file))).toEqual([expect.objectContaining({field: 'services.web.env.X', message: expect.stringMatching(/unknown variable \$\{region\}/)})])
  })

  it('the same host port published twice', () => {
    const file = tmp.write('t.yaml', topology('  web:\n    sites: [a, b]\n    image: nginx\n    ports: [{container: 80, host: 18080}]\n'))
    expect(issuesOf(() => loadTopology(file))[0]!.message).toMatch(/127\.0\.0\.1:18080\/tcp is published twice/)
  })
})

describe('network subnets', () => {
  // Two sites, two services on both: 2 containers on each site's network, 4 on the WAN.
  const topology = (subnets: {a?: string; b?: string; wan?: string}) => {
    const site = (name: string, role: string, subnet?: string) => `  ${name}: {role: ${role}${subnet ? `, subnet: ${JSON.stringify(subnet)}` : ''}}`
    return `name: t1
sites:
${site('a', 'primary', subnets.a)}
${site('b', 'standby', subnets.b)}
${subnets.wan ? `wan: {subnet: ${JSON.stringify(subnets.wan)}}\n` : ''}services:
  web: {sites: [a, b], image: nginx}
  db: {sites: [a, b], image: postgres}
`
  }
  const load = (subnets: Parameters<typeof topology>[0]) => loadTopology(tmp.write('t.yaml', topology(subnets)))
  const issues = (subnets: Parameters<typeof topology>[0]) => issuesOf(() => load(subnets))

  it('are optional: without them the engine picks (no subnet in the plan)', () => {
    expect(load({}).networks).toEqual([
      {name: 'fd-t1-a', site: 'a', subnet: undefined, driver: 'bridge', encrypted: false},
      {name: 'fd-t1-b', site: 'b', subnet: undefined, driver: 'bridge', encrypted: false},
      {name: 'fd-t1-wan', subnet: undefined, driver: 'bridge', encrypted: false},
    ])
  })

  it('go to the plan of their network', () => {
    const t = load({a: '10.213.1.0/24', wan: '10.213.0.0/24'})
    expect(t.networks.map((n) => [n.name, n.subnet])).toEqual([
      ['fd-t1-a', '10.213.1.0/24'],
      ['fd-t1-b', undefined],
      ['fd-t1-wan', '10.213.0.0/24'],
    ])
  })

  it.each([['10.213.1/24'], ['10.213.1.256/24'], ['10.213.1.0/33'], ['10.213.1.0'], ['010.213.1.0/24'], ['fe80::/64'], ['10.213.1.0/24 ']])('%j is not a subnet', (bad) => {
    expect(issues({a: bad})).toEqual([
      expect.objectContaining({line: 3, field: 'sites.a.subnet', message: `"${bad}" is not an IPv4 subnet in CIDR notation such as 10.213.1.0/24`}),
    ])
  })

  it('host bits set: the network address is suggested', () => {
    expect(issues({wan: '10.213.0.7/24'})).toEqual([expect.objectContaining({line: 5, field: 'wan.subnet', message: expect.stringMatching(/host bits are set\): write 10\.213\.0\.0\/24$/)})])
  })

  it('overlapping subnets of one topology: each overlap named, with the other field', () => {
    expect(issues({a: '10.213.1.0/24', b: '10.213.1.128/25', wan: '10.213.0.0/16'})).toEqual([
      expect.objectContaining({line: 4, field: 'sites.b.subnet', message: expect.stringMatching(/^10\.213\.1\.128\/25 overlaps 10\.213\.1\.0\/24, the subnet of site a's network \(sites\.a\.subnet\)/)}),
      expect.objectContaining({line: 5, field: 'wan.subnet', message: expect.stringMatching(/^10\.213\.0\.0\/16 overlaps 10\.213\.1\.0\/24/)}),
      expect.objectContaining({line: 5, field: 'wan.subnet', message: expect.stringMatching(/^10\.213\.0\.0\/16 overlaps 10\.213\.1\.128\/25/)}),
    ])
    expect(load({a: '10.213.1.0/25', b: '10.213.1.128/25', wan: '10.213.0.0/24'}).networks.every((n) => n.subnet)).toBe(true)
  })

  it('too small for the containers on the network (address, broadcast and gateway are not theirs)', () => {
    expect(issues({a: '10.213.1.0/30', wan: '10.213.0.0/29'})).toEqual([
      expect.objectContaining({field: 'sites.a.subnet', message: "10.213.1.0/30 has room for 1 containers and site a's network holds 2: use a shorter prefix"}),
    ])
    expect(issues({wan: '10.213.0.0/30'})[0]!.message).toMatch(/room for 1 containers and the WAN holds 4/)
    expect(load({a: '10.213.1.0/29', wan: '10.213.0.0/29'}).networks[0]!.subnet).toBe('10.213.1.0/29')
  })
})

describe('JSON Schemas', () => {
  it('the committed schemas/ files match the zod schemas (run `npm run schemas` after a change)', () => {
    for (const [file, schema] of Object.entries(jsonSchemas())) {
      const committed = JSON.parse(readFileSync(path.join(PACKAGE_ROOT, 'schemas', file), 'utf8'))
      expect(committed, file).toEqual(schema)
    }
  })
})
