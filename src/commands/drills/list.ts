import {Args} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {loadDrillFiles} from '../../config/drill-files.js'
import {ExitCode, formatConfigIssue} from '../../errors.js'
import {DEFAULT_DRILLS_DIR, SHIPPED_TOPOLOGIES_DIR, shippedDrillDirs} from '../../paths.js'
import {catalogueRows, catalogueTable, type CatalogueRow} from '../../report/catalogue.js'

export default class DrillsList extends BaseCommand<typeof DrillsList> {
  static override summary = 'List drills: name, description, targets, objectives and frequency.'
  static override description = `Lists the drills in the given files or directories (default: every drill shipped with firedrill, drills/ and drills/messenger/),
then where the shipped drills and topologies are on this machine (an installed copy keeps them in its package).
Files that are not valid drills are reported below the table, and the exit code is then 2.`
  static override examples = ['<%= config.bin %> drills list', '<%= config.bin %> drills list ./my-drills --json']
  static override strict = false
  static override args = {
    path: Args.string({description: 'Drill files or directories (default: the shipped drills).'}),
  }

  async run(): Promise<{drills: CatalogueRow[]; problems: string[]; shipped_drills: string; shipped_topologies: string}> {
    const {argv} = await this.parse(DrillsList)
    const paths = (argv as string[]).length > 0 ? (argv as string[]) : shippedDrillDirs()
    const {drills, issues} = loadDrillFiles(paths)
    const rows = catalogueRows(drills)
    this.log(catalogueTable(rows))
    // Where an installed firedrill keeps what it ships: copy from there (or use firedrill init).
    this.log(`Shipped drills: ${DEFAULT_DRILLS_DIR}\nShipped topologies: ${SHIPPED_TOPOLOGIES_DIR}`)
    for (const issue of issues) this.logToStderr(`error ${formatConfigIssue(issue)}`)
    if (issues.length > 0) process.exitCode = ExitCode.BadInput
    return {drills: rows, problems: issues.map(formatConfigIssue), shipped_drills: DEFAULT_DRILLS_DIR, shipped_topologies: SHIPPED_TOPOLOGIES_DIR}
  }
}
