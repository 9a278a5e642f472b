import {Args, Flags} from '@oclif/core'

import {BadFlagError, BaseCommand, buildArgFlag, durationFlag, parseBuildArgs, reporterFlag} from '../cli/base-command.js'
import {terminalOperator} from '../cli/terminal-operator.js'
import {holdTopologies} from '../session/hold.js'
import {checkParallel, copyProjects, loadDrills, runDrills, type DrillOutcome} from '../session/session.js'
import {cleanErrorText, ExitCode} from '../errors.js'
import {operatorOf} from '../evidence/environment.js'
import {evidenceForRun} from '../evidence/run-evidence.js'
import {SIGNING_KEY_ENV} from '../evidence/signing.js'
import {GRADE_ON, type GradeOn} from '../grade/repeat.js'
import {requireChromium} from '../report/chromium.js'
import {onGitHubActions, publishToGitHubActions} from '../report/github.js'
import {isFileReporter, type Reporter} from '../report/reporters.js'
import {RunOutput} from '../report/run-output.js'
import {evidenceSummary, gradedLine} from '../report/table.js'
import {redactedProgress} from '../util/progress.js'

export default class Run extends BaseCommand<typeof Run> {
  static override summary = 'Run drills: bring the topology up if needed, inject the faults, measure RTO and RPO, grade them.'
  static override description = `Every drill file is validated before anything starts. The topology is brought up if it is not;
afterwards it is left as it was found (taken down again if this run brought it up) unless --keep is given.
Every fault is reverted on success, failure, timeout, Ctrl-C and SIGTERM.

Each drill has an overall deadline: deadline: in the drill, --deadline for every drill, or by default
every step's own bound added up plus 2 minutes. A drill still running when it passes is stopped as on
Ctrl-C: its faults are reverted, its evidence says aborted and names the deadline, and run exits 4.
A drill that loses the Docker engine midway is aborted too (exit 4, no RTO or RPO): the error names
the faults that could not be reverted; firedrill cleanup restores them once the engine is back.

Manual steps are shown to the operator at the terminal, who confirms them. With --ci, or when
standard input is not a terminal, each manual step runs its ci action instead; a drill with a
manual step that has none is refused before anything starts.

With --repeat N each drill runs N times (faults reverted and the topology healthy again between
runs); RTO and RPO are reported as min / median / p95 / max and graded on the worst run, or on
the p95 or median run with --grade-on.

Every run leaves an evidence bundle (result, samples, hash-chained events, container logs, docker inspect,
environment, a manifest and a signed in-toto statement) in .firedrill/runs/<run-id>/ or --out, and is
recorded in the history (.firedrill/history.sqlite; FIREDRILL_HOME moves both). Reporters junit, markdown
and html are written into the bundle under reports/.

With --parallel N, N drills run at a time, each on its own copy of its topology: a project of its own
(TOPOLOGY-p1, TOPOLOGY-p2, ...: containers, networks, volumes, all labelled io.firedrill.copy-of=TOPOLOGY)
and, when the topology gives subnets, subnets of its own (10.X.0.0/16 blocks no network on the engine
uses). Copies are brought up one at a time while drills on copies already up run; every copy is
removed at the end, also on failure, Ctrl-C and SIGTERM. The topology itself is not used or touched,
whether it is up or not. --keep is refused with --parallel above 1 (the copies exist for the run only),
so is a topology that publishes host ports (its copies would ask for the same ports). Manual steps run
their ci action, as with --ci (no one can answer the prompts of several drills at once). Progress is
plain lines, each prefixed with its copy and drill ([p2 kill-primary]). --parallel 1 is the default:
drills one after another on the topology itself.

With --json (or --reporter json), stdout holds one JSON object per drill, one per line, and nothing else.

Exit codes:
${BaseCommand.exitCodeHelp}`
  static override examples = [
    '<%= config.bin %> run drills/kill-primary.yaml',
    '<%= config.bin %> run drills/ --ci --json',
    '<%= config.bin %> run drills/kill-primary.yaml --repeat 5 --grade-on p95',
    '<%= config.bin %> run drills/ --parallel 3 --ci --reporter table,junit',
    '<%= config.bin %> run drills/kill-primary.yaml --reporter table,junit,html --key firedrill-signing.key --operator "J. Kim" --out evidence/q4',
  ]
  static override strict = false
  static override args = {
    drill: Args.string({description: 'Drill files or directories of drills (YAML); policy files among them are skipped.', required: true}),
  }
  static override flags = {
    topology: Flags.string({char: 't', description: 'Run against this topology file instead of the one each drill names.'}),
    policy: Flags.string({description: 'Read objective tiers from this policy file instead of policy.yaml next to each drill.'}),
    keep: Flags.boolean({description: 'Leave the topology up afterwards.'}),
    deadline: durationFlag({description: "Every drill's overall deadline (e.g. 10m), instead of the one each drill sets or derives from its steps."}),
    parallel: Flags.integer({
      char: 'p',
      description: 'Run this many drills at a time, each on its own copy of its topology (removed afterwards). 1: one after another on the topology itself.',
      min: 1,
      default: 1,
    }),
    repeat: Flags.integer({char: 'n', description: 'Run each drill this many times.', min: 1, max: 1000, default: 1}),
    'grade-on': Flags.option({options: GRADE_ON, description: 'With --repeat: grade on the worst run, or the p95 or median run.', default: 'worst' as GradeOn})(),
    'build-arg': buildArgFlag,
    out: Flags.string({char: 'o', description: 'Evidence directory for this run (with several runs: one sub-directory per run id). Default: .firedrill/runs/<run-id>.'}),
    reporter: reporterFlag,
    operator: Flags.string({description: 'Who runs the drill and confirms manual steps, for the record (default: the login name).'}),
    key: Flags.string({description: `Ed25519 private key (PEM file) to sign the evidence with; default: $${SIGNING_KEY_ENV}. Without one the bundle is unsigned, and says so.`}),
    pdf: Flags.boolean({description: 'Also print the HTML report to reports/report.pdf (needs Chromium).'}),
  }

  async run(): Promise<undefined> {
    const {argv} = await this.parse(Run)
    const parallel = this.flags.parallel
    if (parallel > 1 && this.flags.keep) {
      throw new BadFlagError(`--keep cannot be given with --parallel ${parallel}: each drill runs on a copy of its topology that exists for this run only`, [
        'firedrill up --topology FILE, then run the drills without --parallel, keeps a topology up',
      ])
    }
    // Several drills at once: nobody can answer their prompts, so manual steps run their ci action.
    const interactive = !this.flags.ci && Boolean(process.stdin.isTTY) && parallel === 1
    const drills = loadDrills(argv as string[], {topology: this.flags.topology, policy: this.flags.policy, ci: !interactive, deadline: this.flags.deadline})
    if (parallel > 1) checkParallel(drills)
    // --pdf without a browser is refused before anything starts, with how to get one (not skipped after the drill).
    if (this.flags.pdf) await requireChromium('--pdf')
    const reporters = this.flags.reporter as Reporter[]
    const json = this.jsonEnabled() || reporters.includes('json')
    const evidence = evidenceForRun(drills, {
      repeat: this.flags.repeat,
      out: this.flags.out,
      operator: this.flags.operator,
      key: this.flags.key,
      reporters: reporters.filter((r) => isFileReporter(r)),
      pdf: this.flags.pdf,
    })
    // Nothing this command prints carries a secret of the drills (a password on a command line, in a command's output).
    const clean = evidence.redactor
    for (const warning of drills.flatMap((d) => d.warnings)) this.warn(clean.text(warning))
    const progress = redactedProgress(this.progress({concurrent: parallel > 1}), (text) => clean.text(text))
    // One drill per topology at a time, taken before the engine is even asked; a topology a killed run left faults in is refused.
    const runAll = () =>
      holdTopologies(parallel > 1 ? copyProjects(drills, parallel) : drills.map((d) => d.topology.project), {connect: () => this.engine(drills.map((d) => d.topology)), log: progress.log}, (engine) =>
        runDrills(drills, {
          engine,
          keep: this.flags.keep,
          buildArgs: parseBuildArgs(this.flags['build-arg']),
          progress,
          operator: interactive ? terminalOperator(operatorOf(this.flags.operator).name) : undefined,
          repeat: this.flags.repeat,
          parallel,
          gradeOn: this.flags['grade-on'],
          onResult: async (result, loaded) => {
            await progress.phase(`Write evidence of ${result.drill}`, () => evidence.record(result, loaded, engine))
            // Each drill's verdict as soon as it is graded (the table waits for the last drill).
            progress.log(gradedLine(clean.json(result)))
          },
        }),
      )
    let outcomes: DrillOutcome[]
    try {
      outcomes = (await runAll()).map((o) => clean.json(o))
    } catch (error) {
      // An interrupted or aborted run still leaves its evidence: say where before the error is reported.
      for (const rec of evidence.records) {
        process.stderr.write(`${evidenceSummary(rec)}\n`)
        for (const w of rec.warnings) process.stderr.write(`Warning: ${clean.text(w)}\n`)
      }
      cleanErrorText(error, (text) => clean.text(text))
      throw error
    }
    process.exitCode = outcomes.every((o) => o.verdict === 'pass') ? ExitCode.Pass : ExitCode.ObjectiveMissed
    // Evidence is recorded run by run as runs end (with --parallel, not in the order of the drills).
    const byRun = new Map(evidence.records.map((rec) => [rec.report.result.run_id, rec] as const))
    const output = new RunOutput(outcomes, (r) => byRun.get(r.run_id))
    // Under GitHub Actions: a step summary, and an annotation at the drill file's line for each missed
    // objective (on stderr when stdout carries JSON, which the runner reads as well).
    const annotations = onGitHubActions() ? publishToGitHubActions(outcomes, evidence.records.map((r) => r.dir)) : []
    if (json) {
      for (const line of output.getJson()) process.stdout.write(`${JSON.stringify(line)}\n`)
      // --reporter json,table: the JSON on stdout, the table for people on stderr (never silently dropped).
      if (reporters.includes('json') && reporters.includes('table')) process.stderr.write(`${output.display()}\n`)
      for (const line of annotations) process.stderr.write(`${line}\n`)
      return undefined
    }
    for (const line of annotations) this.log(line)
    if (reporters.includes('table')) this.log(output.display())
    for (const rec of evidence.records) {
      this.log(evidenceSummary(rec))
      for (const w of rec.warnings) process.stderr.write(`Warning: ${w}\n`)
    }
    return undefined
  }
}
