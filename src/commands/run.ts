import {Args, Flags} from '@oclif/core'

import {BaseCommand, buildArgFlag, parseBuildArgs} from '../cli/base-command.js'
import type {DrillResult} from '../drill/runner.js'
import {loadDrills, runSession} from '../drill/session.js'
import {ExitCode} from '../errors.js'
import type {EvidenceRecord, FileReporter} from '../evidence/record.js'
import {evidenceForRun} from '../evidence/run-evidence.js'
import {SIGNING_KEY_ENV} from '../evidence/signing.js'
import {drillSummary, evidenceSummary, verdictTable} from '../report/table.js'

const REPORTERS = ['table', 'json', 'junit', 'markdown', 'html'] as const

export default class Run extends BaseCommand<typeof Run> {
  static override summary = 'Run drills: bring the topology up if needed, inject the faults, measure RTO and RPO, grade them.'
  static override description = `Every drill file is validated before anything starts. The topology is brought up if it is not;
afterwards it is left as it was found (taken down again if this run brought it up) unless --keep is given.
Every fault is reverted on success, failure, timeout, Ctrl-C and SIGTERM.

Every run leaves an evidence bundle (result, samples, hash-chained events, container logs, docker inspect,
environment, a manifest and a signed in-toto statement) in .firedrill/runs/<run-id>/ or --out, and is
recorded in the history (.firedrill/history.sqlite; FIREDRILL_HOME moves both). Reporters junit, markdown
and html are written into the bundle under reports/.

With --json (or --reporter json), stdout holds one JSON object per drill, one per line, and nothing else.

Exit codes:
${BaseCommand.exitCodeHelp}`
  static override examples = [
    '<%= config.bin %> run drills/kill-primary.yaml',
    '<%= config.bin %> run drills/*.yaml --ci --json',
    '<%= config.bin %> run drills/kill-primary.yaml --reporter table,junit,html --key firedrill-signing.key --operator "J. Kim" --out evidence/q4',
  ]
  static override strict = false
  static override args = {
    drill: Args.string({description: 'Drill file(s) (YAML).', required: true}),
  }
  static override flags = {
    topology: Flags.string({char: 't', description: 'Run against this topology file instead of the one each drill names.'}),
    keep: Flags.boolean({description: 'Leave the topology up afterwards.'}),
    'build-arg': buildArgFlag,
    out: Flags.string({char: 'o', description: 'Evidence directory for this run (with several drills: one sub-directory per run id). Default: .firedrill/runs/<run-id>.'}),
    reporter: Flags.string({
      char: 'r',
      description: 'Reporters, comma-separated: table (stdout), json (stdout), junit, markdown, html (files in the bundle under reports/).',
      options: [...REPORTERS],
      multiple: true,
      delimiter: ',',
      default: ['table'],
    }),
    operator: Flags.string({description: 'Who ran the drill, for the record (default: the login name).'}),
    key: Flags.string({description: `Ed25519 private key (PEM file) to sign the evidence with; default: $${SIGNING_KEY_ENV}. Without one the bundle is unsigned, and says so.`}),
    pdf: Flags.boolean({description: 'Also print the HTML report to reports/report.pdf (needs Chromium).'}),
  }

  async run(): Promise<undefined> {
    const {argv} = await this.parse(Run)
    const drills = loadDrills(argv as string[], this.flags.topology)
    const buildArgs = parseBuildArgs(this.flags['build-arg'])
    const reporters = this.flags.reporter as (typeof REPORTERS)[number][]
    const json = this.jsonEnabled() || reporters.includes('json')
    const evidence = evidenceForRun(drills.length, {
      out: this.flags.out,
      operator: this.flags.operator,
      key: this.flags.key,
      reporters: reporters.filter((r): r is FileReporter => r === 'junit' || r === 'markdown' || r === 'html'),
      pdf: this.flags.pdf,
    })
    const engine = await this.engine()
    const progress = this.progress()
    const results = await runSession(drills, {
      engine,
      keep: this.flags.keep,
      buildArgs,
      progress,
      onResult: (result, loaded) => progress.phase(`Write evidence of ${result.drill}`, () => evidence.record(result, loaded, engine)).then(() => undefined),
    })
    process.exitCode = results.every((r) => r.verdict === 'pass') ? ExitCode.Pass : ExitCode.ObjectiveMissed
    if (json) {
      results.forEach((r, i) => process.stdout.write(`${JSON.stringify(forJson(r, evidence.records[i]))}\n`))
      return undefined
    }
    if (reporters.includes('table')) {
      this.log(verdictTable(results))
      for (const r of results) this.log(drillSummary(r))
    }
    for (const rec of evidence.records) {
      this.log(evidenceSummary(rec))
      for (const w of rec.warnings) process.stderr.write(`Warning: ${w}\n`)
    }
    return undefined
  }
}

function forJson(result: DrillResult, rec: EvidenceRecord | undefined): Omit<DrillResult, 'samples'> & {evidence?: unknown} {
  const {samples: _samples, ...rest} = result
  if (!rec) return rest
  const {report: _report, ...evidence} = rec
  return {...rest, evidence}
}
