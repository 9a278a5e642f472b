import {Args, Flags} from '@oclif/core'

import {BaseCommand, buildArgFlag, parseBuildArgs} from '../cli/base-command.js'
import {operatorName, terminalOperator} from '../cli/terminal-operator.js'
import type {DrillResult} from '../drill/runner.js'
import {loadDrills, runDrills, type DrillOutcome} from '../drill/session.js'
import {ExitCode} from '../errors.js'
import {GRADE_ON, type GradeOn} from '../grade/repeat.js'
import {drillSummary, verdictTable} from '../report/table.js'

export default class Run extends BaseCommand<typeof Run> {
  static override summary = 'Run drills: bring the topology up if needed, inject the faults, measure RTO and RPO, grade them.'
  static override description = `Every drill file is validated before anything starts. The topology is brought up if it is not;
afterwards it is left as it was found (taken down again if this run brought it up) unless --keep is given.
Every fault is reverted on success, failure, timeout, Ctrl-C and SIGTERM.

Manual steps are shown to the operator at the terminal, who confirms them. With --ci, or when
standard input is not a terminal, each manual step runs its ci action instead; a drill with a
manual step that has none is refused before anything starts.

With --repeat N each drill runs N times (faults reverted and the topology healthy again between
runs); RTO and RPO are reported as min / median / p95 / max and graded on the worst run, or on
the p95 or median run with --grade-on.

With --json, stdout holds one JSON object per drill, one per line, and nothing else.

Exit codes:
${BaseCommand.exitCodeHelp}`
  static override examples = [
    '<%= config.bin %> run drills/kill-primary.yaml',
    '<%= config.bin %> run drills/ --ci --json',
    '<%= config.bin %> run drills/kill-primary.yaml --repeat 5 --grade-on p95',
  ]
  static override strict = false
  static override args = {
    drill: Args.string({description: 'Drill files or directories of drills (YAML); policy files among them are skipped.', required: true}),
  }
  static override flags = {
    topology: Flags.string({char: 't', description: 'Run against this topology file instead of the one each drill names.'}),
    policy: Flags.string({description: 'Read objective tiers from this policy file instead of policy.yaml next to each drill.'}),
    keep: Flags.boolean({description: 'Leave the topology up afterwards.'}),
    repeat: Flags.integer({char: 'n', description: 'Run each drill this many times.', min: 1, max: 1000, default: 1}),
    'grade-on': Flags.option({options: GRADE_ON, description: 'With --repeat: grade on the worst run, or the p95 or median run.', default: 'worst' as GradeOn})(),
    operator: Flags.string({description: 'Who runs the drill and confirms manual steps (default: the login name).'}),
    'build-arg': buildArgFlag,
  }

  async run(): Promise<undefined> {
    const {argv} = await this.parse(Run)
    const interactive = !this.flags.ci && Boolean(process.stdin.isTTY)
    const drills = loadDrills(argv as string[], {topology: this.flags.topology, policy: this.flags.policy, ci: !interactive})
    const progress = this.progress()
    for (const warning of drills.flatMap((d) => d.warnings)) this.warn(warning)
    const outcomes = await runDrills(drills, {
      engine: await this.engine(),
      keep: this.flags.keep,
      buildArgs: parseBuildArgs(this.flags['build-arg']),
      progress,
      operator: interactive ? terminalOperator(operatorName(this.flags.operator)) : undefined,
      repeat: this.flags.repeat,
      gradeOn: this.flags['grade-on'],
    })
    process.exitCode = outcomes.every((o) => o.verdict === 'pass') ? ExitCode.Pass : ExitCode.ObjectiveMissed
    if (this.jsonEnabled()) {
      for (const o of outcomes) process.stdout.write(`${JSON.stringify(forJson(o))}\n`)
      return undefined
    }
    this.log(verdictTable(outcomes))
    for (const o of outcomes) this.log(drillSummary(o))
    return undefined
  }
}

function withoutSamples(result: DrillResult): Omit<DrillResult, 'samples'> {
  const {samples: _samples, ...rest} = result
  return rest
}

/** One run: the run's result. Repeated: the aggregate grade with every run inside. */
function forJson(o: DrillOutcome): unknown {
  if (!o.repeated) return withoutSamples(o.runs[0]!)
  return {drill: o.drill, verdict: o.verdict, repeat: o.repeated.runs, grade_on: o.repeated.grade_on, results: o.repeated.results, statistics: o.repeated.statistics, runs: o.runs.map(withoutSamples)}
}
