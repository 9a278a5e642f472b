import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../cli/base-command.js'
import {validateFile, yamlFiles, type FileVerdict} from '../config/validate.js'
import {ExitCode, formatConfigIssue} from '../errors.js'

export default class Validate extends BaseCommand<typeof Validate> {
  static override summary = 'Check drill, topology and policy files without starting anything.'
  static override description = `Every problem in every file is reported at once, each with file:line:column and the field path.
A directory is checked file by file (its *.yaml files). With --ci, manual steps must also say what
to run when nobody is at a terminal.

Exit codes:
0    every file is valid
2    at least one file is not (nothing was started)`
  static override examples = ['<%= config.bin %> validate drills/', '<%= config.bin %> validate drills/site-isolation.yaml --ci --json']
  static override strict = false
  static override args = {
    file: Args.string({description: 'Files or directories to check.', required: true}),
  }
  static override flags = {
    topology: Flags.string({char: 't', description: 'Check drills against this topology file instead of the one each names.'}),
    policy: Flags.string({description: 'Read objective tiers from this policy file.'}),
  }

  async run(): Promise<{valid: boolean; files: FileVerdict[]}> {
    const {argv} = await this.parse(Validate)
    const files = yamlFiles(argv as string[]).map((f) => validateFile(f, {ci: Boolean(this.flags.ci), topology: this.flags.topology, policy: this.flags.policy}))
    const valid = files.every((f) => f.valid)
    for (const f of files) {
      if (f.valid) this.log(`ok    ${f.file}: ${f.summary}`)
      for (const w of f.warnings) this.log(`warn  ${w}`)
      for (const issue of f.issues) this.log(`error ${formatConfigIssue(issue)}`)
    }
    const bad = files.filter((f) => !f.valid)
    this.log(valid ? `${files.length} file(s) valid.` : `${bad.length} of ${files.length} file(s) invalid, ${bad.reduce((n, f) => n + f.issues.length, 0)} problem(s).`)
    if (!valid) process.exitCode = ExitCode.BadInput
    return {valid, files}
  }
}
