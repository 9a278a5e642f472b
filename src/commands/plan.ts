import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../cli/base-command.js'
import {ConfigError, ExitCode} from '../errors.js'
import {historyDbPath} from '../evidence/home.js'
import {heldRuns, isOverdue, parseDay, plan, type PlanRow} from '../history/calendar.js'
import {scheduledDrills} from '../history/drills.js'
import {HistoryStore} from '../history/store.js'
import {planTable} from '../report/table.js'

export default class Plan extends BaseCommand<typeof Plan> {
  static override summary = "The drill calendar: each drill's last run, when it is next due, and which are overdue."
  static override description = `Drills declare how often they must run (frequency: annual, semiannual, quarterly, monthly or nightly).
The next due date is the last completed run's start plus that interval; a failed run counts (its follow-up is
tracked with firedrill note), an interrupted or aborted one does not: it is listed apart, after the table.
A scheduled drill that never ran is overdue.

Exit codes:
0    nothing overdue (or no --check)
1    with --check: at least one drill is overdue
2    a drill file is invalid, or a bad flag`
  static override examples = ['<%= config.bin %> plan', '<%= config.bin %> plan drills/ --check']
  static override strict = false
  static override args = {
    drills: Args.string({description: 'Drill files or directories (default: ./drills, else the shipped drills).'}),
  }
  static override flags = {
    check: Flags.boolean({description: 'Exit 1 when any drill is overdue.'}),
    now: Flags.string({description: 'Plan as of this date instead of today (YYYY-MM-DD).', hidden: true}),
    store: Flags.string({description: 'History store (default: $FIREDRILL_HOME/history.sqlite, .firedrill/history.sqlite).'}),
  }

  async run(): Promise<{drills: PlanRow[]; overdue: string[]}> {
    const {argv} = await this.parse(Plan)
    const now = this.flags.now === undefined ? new Date() : parseDay(this.flags.now)
    if (!now) throw new ConfigError([{file: '--now', field: 'now', message: `"${this.flags.now}" is not a date such as 2026-12-31`}])
    const drills = scheduledDrills(argv as string[])
    const store = HistoryStore.open(this.flags.store ?? historyDbPath())
    let rows: PlanRow[]
    try {
      const {last, later} = heldRuns(store.runs({until: now}))
      rows = plan(drills, last, now, later)
    } finally {
      store.close()
    }
    const overdue = rows.filter(isOverdue).map((r) => r.drill)
    if (this.flags.check && overdue.length > 0) process.exitCode = ExitCode.ObjectiveMissed
    this.log(planTable(rows, overdue))
    return {drills: rows, overdue}
  }
}
