import {cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {stringify} from 'yaml'

import {loadDrill} from '../config/load-drill.js'
import {YamlSource} from '../config/yaml-source.js'
import {ConfigError, EnvironmentError, type ConfigIssue} from '../errors.js'
import {DEFAULT_DRILLS_DIR, PACKAGE_ROOT, SHIPPED_TOPOLOGIES_DIR} from '../paths.js'
import {importCompose, renderTopology, type ServiceDocument, type TopologyDocument} from '../topology/compose-import.js'

/**
 * `firedrill init`: a project of one's own, from a shipped example. Layout:
 *   topology/topology.yaml (+ its image build context)   the example topology, named after the project
 *   drills/kill-primary.yaml, drills/policy.yaml          a kill-the-primary drill for it (messenger-3dc: redis-master-kill.yaml), objective tiers
 *   .github/workflows/firedrill.yml, .gitlab-ci.yml       nightly and on-demand runs with JUnit, HTML and evidence
 * With `--from-compose FILE` the topology is imported from the user's compose file (as `firedrill import
 * compose` does) and the drill is written for it (`composeDrill`).
 * Every YAML file written validates (`firedrill validate`), and the CI files carry the keys GitHub
 * Actions and GitLab CI require (test/commands/init.test.ts).
 */

/**
 * The drill init writes for each example it offers (a shipped drill, pointed at the project's topology).
 * Only a shipped topology with a drill here is offered: a project whose drill does not validate
 * against its own topology would be no start at all.
 */
const EXAMPLE_DRILLS: Record<string, string> = {'bank-3site': 'kill-primary.yaml', 'messenger-3dc': 'messenger/redis-master-kill.yaml'}

/** The shipped example topologies init can start from, by directory name. */
export function shippedExamples(): string[] {
  return readdirSync(SHIPPED_TOPOLOGIES_DIR)
    .filter((d) => EXAMPLE_DRILLS[d] !== undefined && existsSync(path.join(SHIPPED_TOPOLOGIES_DIR, d, 'topology.yaml')))
    .sort()
}

/** A topology name from a directory name: lower case, letters, digits and dashes. */
export function projectNameFor(dir: string, fallback: string): string {
  const name = path
    .basename(path.resolve(dir))
    .toLowerCase()
    .replaceAll(/[^a-z0-9-]+/g, '-')
    .replaceAll(/^-+|-+$/g, '')
    .slice(0, 40)
  return /^[a-z0-9][a-z0-9-]*$/.test(name) ? name : fallback
}

export interface ScaffoldResult {
  dir: string
  name: string
  /** The shipped example it started from; null when the topology was imported from a compose file. */
  example: string | null
  /** The compose file the topology was imported from, when it was. */
  from_compose?: string
  files: string[]
  /** What the user should look at or fill in (the import's warnings, what the drill could not know). */
  notes: string[]
}

/** `--from-compose FILE [--site SERVICE=SITE] [--env NAME=VALUE]`: import compose's options. */
export interface ComposeSource {
  file: string
  sites?: Record<string, string>
  env?: Record<string, string>
}

const VERSION = (JSON.parse(readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as {version: string}).version

export function githubWorkflow(): string {
  return `# firedrill nightly: every drill in drills/ against the topology in topology/, on a schedule and on demand.
# The runner needs a Docker engine on the same host (GitHub's ubuntu runners have one): firedrill's probe
# reaches the containers on their network addresses.
name: firedrill

on:
  schedule:
    - cron: '17 3 * * *'   # every night at 03:17 UTC
  workflow_dispatch: {}

jobs:
  drills:
    runs-on: ubuntu-latest
    timeout-minutes: 90
    env:
      # Evidence bundles and the history go here, inside the workspace, so they can be uploaded.
      FIREDRILL_HOME: \${{ github.workspace }}/.firedrill
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-node@v4
        with:
          node-version: '24'
      - name: Install firedrill
        run: npm install -g firedrill@${VERSION}
      - name: Run the drills
        # Exit 1 when an objective is missed (the job fails); annotations point at the drill's objective line.
        run: firedrill run drills/ --ci --reporter table,junit,html
      - name: Upload the JUnit reports
        if: always()
        uses: actions/upload-artifact@v4
        with:
          name: junit
          path: .firedrill/runs/*/reports/junit.xml
          if-no-files-found: ignore
      - name: Upload the HTML reports
        if: always()
        uses: actions/upload-artifact@v4
        with:
          name: report-html
          path: .firedrill/runs/*/reports/report.html
          if-no-files-found: ignore
      - name: Upload the evidence bundles
        if: always()
        uses: actions/upload-artifact@v4
        with:
          name: evidence
          path: .firedrill/runs/
          if-no-files-found: ignore
`
}

export function gitlabCi(): string {
  return `# firedrill nightly: every drill in drills/ against the topology in topology/, from a pipeline schedule
# or run by hand (Build > Pipelines > Run pipeline). The job needs a runner on a host with a Docker engine
# (a shell executor whose user may use Docker, tagged "docker-host" here): firedrill's probe reaches the
# containers on their network addresses, which a docker-in-docker service would hide from the job.
stages:
  - drill

firedrill:
  stage: drill
  tags:
    - docker-host
  rules:
    - if: $CI_PIPELINE_SOURCE == "schedule"
    - if: $CI_PIPELINE_SOURCE == "web"
  variables:
    FIREDRILL_HOME: $CI_PROJECT_DIR/.firedrill
  script:
    - npm install -g firedrill@${VERSION}
    - firedrill run drills/ --ci --reporter table,junit,html
  artifacts:
    when: always
    expire_in: 90 days
    paths:
      - .firedrill/runs/
    reports:
      junit: .firedrill/runs/*/reports/junit.xml
`
}

/** The example's shipped drill, pointed at the project's topology. */
function exampleDrill(example: string): string {
  const text = readFileSync(path.join(DEFAULT_DRILLS_DIR, EXAMPLE_DRILLS[example]!), 'utf8')
  return text
    .replace(/^# yaml-language-server: \$schema=.*$/m, `# yaml-language-server: $schema=${path.join(PACKAGE_ROOT, 'schemas', 'drill.schema.json')}`)
    .replace(/^topology: .*$/m, 'topology: ../topology/topology.yaml')
}

function policy(): string {
  return readFileSync(path.join(DEFAULT_DRILLS_DIR, 'policy.yaml'), 'utf8').replace(
    /^# yaml-language-server: \$schema=.*$/m,
    `# yaml-language-server: $schema=${path.join(PACKAGE_ROOT, 'schemas', 'policy.schema.json')}`,
  )
}

/** Write a new project into `dir` (created if missing); refuses (exit 2, nothing written) when any file it would write exists. */
export function scaffold(dir: string, opts: {example?: string; name?: string; compose?: ComposeSource} = {}): ScaffoldResult {
  if (opts.name !== undefined && !/^[a-z0-9][a-z0-9-]*$/.test(opts.name)) {
    throw new ConfigError([{file: '--name', field: 'name', message: `"${opts.name}" is not a topology name (lower-case letters, digits, dashes)`}])
  }
  const root = path.resolve(dir)
  return opts.compose ? scaffoldFromCompose(dir, root, opts.compose, opts.name) : scaffoldExample(dir, root, opts)
}

function scaffoldExample(dir: string, root: string, opts: {example?: string; name?: string}): ScaffoldResult {
  const examples = shippedExamples()
  const example = opts.example ?? examples[0]!
  if (!examples.includes(example)) {
    throw new ConfigError([{file: '--example', field: 'example', message: `"${example}" is not a shipped example (${examples.join(', ')})`}])
  }
  const name = opts.name ?? projectNameFor(dir, example)
  const exampleDir = path.join(SHIPPED_TOPOLOGIES_DIR, example)
  const topologyText = readFileSync(path.join(exampleDir, 'topology.yaml'), 'utf8')
    .replace(/^# yaml-language-server: \$schema=.*$/m, `# yaml-language-server: $schema=${path.join(PACKAGE_ROOT, 'schemas', 'topology.schema.json')}`)
    .replace(/^name: .*$/m, `name: ${name}`)

  const written: Record<string, string> = {
    'topology/topology.yaml': topologyText,
    [`drills/${path.basename(EXAMPLE_DRILLS[example]!)}`]: exampleDrill(example),
    ...commonFiles(),
  }
  // The example's other files (its image's build context, its README) go next to its topology.
  const copied = listFiles(exampleDir).filter((f) => f !== 'topology.yaml').map((f) => `topology/${f}`)
  refuseClashes(dir, root, name, [...Object.keys(written), ...copied])
  mkdirSync(root, {recursive: true})
  for (const f of copied) {
    mkdirSync(path.dirname(path.join(root, f)), {recursive: true})
    cpSync(path.join(exampleDir, f.slice('topology/'.length)), path.join(root, f))
  }
  writeAll(root, written)
  return {dir: root, name, example, files: [...Object.keys(written), ...copied].sort(), notes: []}
}

/**
 * The topology imported from the user's compose file (as `firedrill import compose` would write it, build
 * contexts relative to topology/), a drill for it (`composeDrill`), the policy and the CI files. Both are
 * loaded as `firedrill validate` loads them before init returns; if either fails, what init wrote is removed.
 */
function scaffoldFromCompose(dir: string, root: string, compose: ComposeSource, name: string | undefined): ScaffoldResult {
  const file = path.resolve(compose.file)
  if (!existsSync(file)) throw new ConfigError([{file, field: '--from-compose', message: 'no such file'}])
  const source = YamlSource.read(file, {merge: true})
  const imported = importCompose(source, {
    sites: compose.sites,
    env: compose.env,
    name: name ?? (projectNameFor(dir, '') || undefined),
    outDir: path.join(root, 'topology'),
  })
  const topology = imported.topology
  const drill = composeDrill(topology)
  const written: Record<string, string> = {
    'topology/topology.yaml': renderTopology(imported, {file, sha256: source.sha256}),
    'drills/kill-primary.yaml': drill.text,
    ...commonFiles(),
  }
  refuseClashes(dir, root, topology.name, Object.keys(written))
  const created = existsSync(root) ? undefined : root
  writeAll(root, written)
  try {
    loadDrill(path.join(root, 'drills', 'kill-primary.yaml'))
  } catch (error) {
    // Nothing half-written stays behind: the files init wrote, and the directory when init made it.
    if (created) rmSync(created, {recursive: true, force: true})
    else for (const f of Object.keys(written)) rmSync(path.join(root, f), {force: true})
    if (error instanceof ConfigError) {
      throw new ConfigError(
        error.issues.map((i) => ({...i, message: `the project init would write does not validate: ${i.message}`})),
        ['fix the compose file (or --site / --env) and run firedrill init again'],
      )
    }
    throw error
  }
  const warnings = imported.warnings.map((w: ConfigIssue) => `${path.relative(process.cwd(), w.file) || w.file}${w.line ? `:${w.line}` : ''}: ${w.field ? `${w.field}: ` : ''}${w.message}`)
  return {dir: root, name: topology.name, example: null, from_compose: file, files: Object.keys(written).sort(), notes: [...drill.notes, ...warnings]}
}

/** The policy and the two CI files, the same for every project. */
function commonFiles(): Record<string, string> {
  return {'drills/policy.yaml': policy(), '.github/workflows/firedrill.yml': githubWorkflow(), '.gitlab-ci.yml': gitlabCi()}
}

function refuseClashes(dir: string, root: string, name: string, files: string[]): void {
  const clash = files.filter((f) => existsSync(path.join(root, f)))
  if (clash.length > 0) {
    throw new EnvironmentError(`${root} already holds ${clash.join(', ')}; firedrill init writes nothing over existing files`, [
      `firedrill init ${path.join(dir, name)}   (a new directory)`,
    ])
  }
}

function writeAll(root: string, written: Record<string, string>): void {
  for (const [f, text] of Object.entries(written)) {
    mkdirSync(path.dirname(path.join(root, f)), {recursive: true})
    writeFileSync(path.join(root, f), text)
  }
}

/** A drill for an imported topology, and what the user must check or fill in. */
export interface ComposeDrill {
  text: string
  notes: string[]
}

type ProbeChoice = {probe: Record<string, unknown>; writes: boolean; what: string; note?: string}

/**
 * The kill-the-primary drill for a topology imported from a compose file. What a compose file gives:
 * services, their sites, images, environment, published ports and health checks; a cluster manager only
 * when it carries an `x-firedrill` cluster block (as `firedrill export compose` writes). So:
 * - the service: the first one with a cluster manager (it knows who leads: the target is `role: leader`,
 *   wherever the lead is now); else the first service on the primary site that also runs on another site
 *   (a primary and its standby: the target is its instance on the primary site); else, no failover
 *   structure, the first service on the primary site, killed and started again (the drill measures a
 *   crash and restart, and says so);
 * - the probe: a write probe when the service is recognisably PostgreSQL (its password from
 *   POSTGRES_PASSWORD / PATRONI_SUPERUSER_PASSWORD) or Redis (so RPO is measured too); else a tcp probe
 *   on its first published port; else its own health check run in its container; else only that its
 *   container answers an exec, with a note saying to replace it.
 */
export function composeDrill(topology: TopologyDocument): ComposeDrill {
  const siteNames = Object.keys(topology.sites)
  const primarySite = siteNames.find((s) => topology.sites[s]!.role === 'primary') ?? siteNames[0]!
  const services = Object.entries(topology.services)
  const clustered = services.find(([, svc]) => svc.cluster !== undefined)
  const onPrimary = services.filter(([, svc]) => svc.sites.includes(primarySite))
  const writes = ([name, svc]: [string, ServiceDocument]) => probeFor(name, svc, primarySite, {service: name, site: primarySite}).writes
  const replicated = onPrimary.find((s) => s[1].sites.length > 1 && writes(s)) ?? onPrimary.find(([, svc]) => svc.sites.length > 1)
  const notes: string[] = []
  let service: string
  let target: Record<string, string>
  let failover: boolean
  if (clustered) {
    ;[service] = clustered
    target = {service, role: 'leader'}
    failover = true
  } else if (replicated) {
    ;[service] = replicated
    target = {service, site: primarySite}
    failover = true
    notes.push(
      `${service} has no cluster manager in the compose file: the drill kills its instance on ${primarySite} (the primary site) and counts on the other sites' instances to take over. If nothing promotes a standby by itself, add a runbook step that does (or an x-firedrill cluster block), or the drill reports "never recovered".`,
    )
  } else {
    const chosen = onPrimary.find((s) => writes(s)) ?? onPrimary.find(([, svc]) => (svc.ports ?? []).length > 0) ?? onPrimary[0]
    if (!chosen) throw new ConfigError([{file: 'topology', field: 'services', message: `no service runs on the primary site ${primarySite}`}])
    ;[service] = chosen
    target = {service, site: primarySite}
    failover = false
    notes.push(
      `No primary/standby structure found (no service on several sites, no cluster manager): the drill kills ${service} on ${primarySite} and starts it again, so it measures a crash and restart, not a failover. Give the standby its site (--site SERVICE=SITE or x-firedrill) to rehearse a failover.`,
    )
  }
  const svc = topology.services[service]!
  // Where a command probe runs: in whichever instance leads (a cluster manager knows), else the one on the
  // primary site; with a standby but no manager, that one instance's health says nothing of the service.
  const place: Record<string, string> = clustered ? {service, role: 'leader'} : {service, site: primarySite}
  const choice = probeFor(service, svc, primarySite, place, failover && !clustered)
  if (choice.note) notes.push(choice.note)
  const probe = {kind: choice.probe.kind, service, ...Object.fromEntries(Object.entries(choice.probe).filter(([k]) => k !== 'kind')), interval: '100ms', timeout: '1s', stable_samples: 3}
  const steps: Record<string, unknown>[] = [{sleep: '3s'}, {fault: 'kill', name: 'primary-down', target, signal: 'SIGKILL'}]
  if (!failover) steps.push({sleep: '5s'}, {heal: ['primary-down']})
  steps.push({wait: 'recovered', timeout: '120s'}, {sleep: '2s'})
  const drill = {
    name: 'kill-primary',
    description: failover
      ? `SIGKILL the ${clustered ? 'leading' : `${primarySite}`} ${service} instance; the others must take over`
      : `SIGKILL ${service} on ${primarySite} and start it again (no standby to take over)`,
    topology: '../topology/topology.yaml',
    frequency: 'quarterly',
    objectives: choice.writes ? {rto: '60s', rpo: '0s'} : {rto: '60s'},
    probe,
    steps,
  }
  const header = [
    `# yaml-language-server: $schema=${path.join(PACKAGE_ROOT, 'schemas', 'drill.schema.json')}`,
    '#',
    ...[`# Written by firedrill init from a compose file. The probe ${choice.what}.`, ...notes.map((n) => `# ${n}`)].flatMap((line) => wrapComment(line)),
    '# The objectives (rto, rpo) are a start: set them to what your service promises.',
  ]
  return {text: `${header.join('\n')}\n${stringify(drill, {lineWidth: 0})}`, notes}
}

/** The probe init writes for a service (see composeDrill); a command probe runs in `place`. */
function probeFor(name: string, svc: ServiceDocument, primarySite: string, place: Record<string, string>, noHealth = false): ProbeChoice {
  const env = {...svc.env, ...svc.per_site?.[primarySite]?.env}
  const image = (svc.image ?? '').toLowerCase()
  const password = env.PATRONI_SUPERUSER_PASSWORD ?? env.POSTGRES_PASSWORD
  if (password !== undefined || /(^|\/)(postgres|postgis|timescaledb|spilo)[^/]*(:|$)/.test(image)) {
    const user = env.PATRONI_SUPERUSER_USERNAME ?? env.POSTGRES_USER ?? 'postgres'
    const probe: Record<string, unknown> = {kind: 'postgres-write', user, password: password ?? ''}
    return {
      probe,
      writes: true,
      what: `writes one row per sample to PostgreSQL as ${user} and reads them back (RTO and RPO)`,
      note: password === undefined ? `The PostgreSQL password of ${name} is not in the compose file: set probe.password in drills/kill-primary.yaml.` : undefined,
    }
  }
  if (/(^|\/)(redis|valkey)[^/]*(:|$)/.test(image)) {
    const probe: Record<string, unknown> = {kind: 'redis-write'}
    if (env.REDIS_PASSWORD) probe.password = env.REDIS_PASSWORD
    return {probe, writes: true, what: 'writes one key per sample to Redis and reads them back (RTO and RPO)'}
  }
  const port = svc.ports?.[0]?.container
  if (port !== undefined) return {probe: {kind: 'tcp', port}, writes: false, what: `opens a TCP connection to port ${port} (RTO only)`}
  if (svc.health && !noHealth) {
    return {
      probe: {kind: 'command', argv: svc.health.test, in: place},
      writes: false,
      what: 'runs the service\'s own health check in its container (RTO only)',
    }
  }
  return {
    probe: {kind: 'command', argv: ['true'], in: place},
    writes: false,
    what: 'only checks that the container runs (an exec of `true`)',
    note: 'Nothing in the compose file says how to use the service (no published port, no health check, no known database): the probe only checks that its container runs. Replace it with one that uses the service (kind http, tcp, postgres-write, mysql-write, redis-write or command).',
  }
}

/** A long comment line broken at spaces so the file stays readable. */
function wrapComment(line: string, width = 110): string[] {
  const out: string[] = []
  let current = ''
  for (const word of line.split(' ')) {
    if (current.length + word.length + 1 > width && current.length > 2) {
      out.push(current)
      current = `#  ${word}`
    } else current = current ? `${current} ${word}` : word
  }
  if (current) out.push(current)
  return out
}

/** Every file under dir, relative to it. */
function listFiles(dir: string, prefix = ''): string[] {
  return readdirSync(path.join(dir, prefix)).flatMap((entry) => {
    const rel = prefix ? `${prefix}/${entry}` : entry
    return statSync(path.join(dir, rel)).isDirectory() ? listFiles(dir, rel) : [rel]
  })
}
