import {Args} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {loadDrillFiles} from '../../config/drill-files.js'
import {ExitCode, formatConfigIssue} from '../../errors.js'
import {DEFAULT_DRILLS_DIR} from '../../paths.js'
import {catalogueRows, catalogueTable, type CatalogueRow} from '../../report/catalogue.js'

export default class DrillsList extends BaseCommand<typeof DrillsList> {
  static override summary = 'List drills: name, description, targets, objectives and frequency.'
  static override description = `Lists the drills in the given files or directories (default: the drills shipped with firedrill).
Files that are not valid drills are reported below the table, and the exit code is then 2.`
  static override examples = ['<%= config.bin %> drills list', '<%= config.bin %> drills list ./my-drills --json']
  static override strict = false
  static override args = {
    path: Args.string({description: 'Drill files or directories (default: the shipped drills).'}),
  }

  async run(): Promise<{drills: CatalogueRow[]; problems: string[]}> {
    const {argv} = await this.parse(DrillsList)
    const paths = (argv as string[]).length > 0 ? (argv as string[]) : [DEFAULT_DRILLS_DIR]
    const {drills, issues} = loadDrillFiles(paths)
    const rows = catalogueRows(drills)
    this.log(catalogueTable(rows))
    for (const issue of issues) this.logToStderr(`error ${formatConfigIssue(issue)}`)
    if (issues.length > 0) process.exitCode = ExitCode.BadInput
    return {drills: rows, problems: issues.map(formatConfigIssue)}
  }
}
