import {Args, Flags} from '@oclif/core'

import {BaseCommand, buildArgFlag, parseBuildArgs} from '../cli/base-command.js'
import type {DrillResult} from '../drill/runner.js'
import {loadDrills, runSession} from '../drill/session.js'
import {ExitCode} from '../errors.js'
import {drillSummary, verdictTable} from '../report/table.js'

export default class Run extends BaseCommand<typeof Run> {
  static override summary = 'Run drills: bring the topology up if needed, inject the faults, measure RTO and RPO, grade them.'
  static override description = `Every drill file is validated before anything starts. The topology is brought up if it is not;
afterwards it is left as it was found (taken down again if this run brought it up) unless --keep is given.
Every fault is reverted on success, failure, timeout, Ctrl-C and SIGTERM.

With --json, stdout holds one JSON object per drill, one per line, and nothing else.

Exit codes:
${BaseCommand.exitCodeHelp}`
  static override examples = ['<%= config.bin %> run drills/kill-primary.yaml', '<%= config.bin %> run drills/*.yaml --ci --json']
  static override strict = false
  static override args = {
    drill: Args.string({description: 'Drill file(s) (YAML).', required: true}),
  }
  static override flags = {
    topology: Flags.string({char: 't', description: 'Run against this topology file instead of the one each drill names.'}),
    keep: Flags.boolean({description: 'Leave the topology up afterwards.'}),
    'build-arg': buildArgFlag,
  }

  async run(): Promise<undefined> {
    const {argv} = await this.parse(Run)
    const drills = loadDrills(argv as string[], this.flags.topology)
    const buildArgs = parseBuildArgs(this.flags['build-arg'])
    const results = await runSession(drills, {
      engine: await this.engine(),
      keep: this.flags.keep,
      buildArgs,
      progress: this.progress(),
    })
    process.exitCode = results.every((r) => r.verdict === 'pass') ? ExitCode.Pass : ExitCode.ObjectiveMissed
    if (this.jsonEnabled()) {
      for (const r of results) process.stdout.write(`${JSON.stringify(forJson(r))}\n`)
      return undefined
    }
    this.log(verdictTable(results))
    for (const r of results) this.log(drillSummary(r))
    return undefined
  }
}

function forJson(result: DrillResult): Omit<DrillResult, 'samples'> {
  const {samples: _samples, ...rest} = result
  return rest
}
