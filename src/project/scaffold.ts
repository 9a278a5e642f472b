import {cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {ConfigError, EnvironmentError} from '../errors.js'
import {DEFAULT_DRILLS_DIR, PACKAGE_ROOT, SHIPPED_TOPOLOGIES_DIR} from '../paths.js'

/**
 * `firedrill init`: a project of one's own, from a shipped example. Layout:
 *   topology/topology.yaml (+ its image build context)   the example topology, named after the project
 *   drills/kill-primary.yaml, drills/policy.yaml          a kill-the-primary drill for it (messenger-3dc: redis-master-kill.yaml), objective tiers
 *   .github/workflows/firedrill.yml, .gitlab-ci.yml       nightly and on-demand runs with JUnit, HTML and evidence
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
  example: string
  files: string[]
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
export function scaffold(dir: string, opts: {example?: string; name?: string} = {}): ScaffoldResult {
  const examples = shippedExamples()
  const example = opts.example ?? examples[0]!
  if (!examples.includes(example)) {
    throw new ConfigError([{file: '--example', field: 'example', message: `"${example}" is not a shipped example (${examples.join(', ')})`}])
  }
  const name = opts.name ?? projectNameFor(dir, example)
  if (!/^[a-z0-9][a-z0-9-]*$/.test(name)) throw new ConfigError([{file: '--name', field: 'name', message: `"${name}" is not a topology name (lower-case letters, digits, dashes)`}])
  const root = path.resolve(dir)
  const exampleDir = path.join(SHIPPED_TOPOLOGIES_DIR, example)
  const topologyText = readFileSync(path.join(exampleDir, 'topology.yaml'), 'utf8')
    .replace(/^# yaml-language-server: \$schema=.*$/m, `# yaml-language-server: $schema=${path.join(PACKAGE_ROOT, 'schemas', 'topology.schema.json')}`)
    .replace(/^name: .*$/m, `name: ${name}`)

  const written: Record<string, string> = {
    'topology/topology.yaml': topologyText,
    [`drills/${path.basename(EXAMPLE_DRILLS[example]!)}`]: exampleDrill(example),
    'drills/policy.yaml': policy(),
    '.github/workflows/firedrill.yml': githubWorkflow(),
    '.gitlab-ci.yml': gitlabCi(),
  }
  // The example's other files (its image's build context, its README) go next to its topology.
  const copied = listFiles(exampleDir).filter((f) => f !== 'topology.yaml').map((f) => `topology/${f}`)
  const clash = [...Object.keys(written), ...copied].filter((f) => existsSync(path.join(root, f)))
  if (clash.length > 0) {
    throw new EnvironmentError(`${root} already holds ${clash.join(', ')}; firedrill init writes nothing over existing files`, [
      `firedrill init ${path.join(dir, name)}   (a new directory)`,
    ])
  }
  mkdirSync(root, {recursive: true})
  for (const f of copied) {
    mkdirSync(path.dirname(path.join(root, f)), {recursive: true})
    cpSync(path.join(exampleDir, f.slice('topology/'.length)), path.join(root, f))
  }
  for (const [f, text] of Object.entries(written)) {
    mkdirSync(path.dirname(path.join(root, f)), {recursive: true})
    writeFileSync(path.join(root, f), text)
  }
  return {dir: root, name, example, files: [...Object.keys(written), ...copied].sort()}
}

/** Every file under dir, relative to it. */
function listFiles(dir: string, prefix = ''): string[] {
  return readdirSync(path.join(dir, prefix)).flatMap((entry) => {
    const rel = prefix ? `${prefix}/${entry}` : entry
    return statSync(path.join(dir, rel)).isDirectory() ? listFiles(dir, rel) : [rel]
  })
}
