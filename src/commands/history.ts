import {Flags} from '@oclif/core'

import {BaseCommand} from '../cli/base-command.js'
import {formatMs, parseDuration} from '../config/duration.js'
import {ConfigError} from '../errors.js'
import {historyDbPath} from '../evidence/home.js'
import {parseDay} from '../history/calendar.js'
import {HistoryStore, type Removal} from '../history/store.js'
import {DEFAULT_MARGIN, DEFAULT_MIN_RUNS, parseMargin, perProbe, withTrend, type TrendRow} from '../history/trend.js'
import {historyTable} from '../report/table.js'

export default class History extends BaseCommand<typeof History> {
  static override summary = 'Past runs: verdicts, the RTO trend, and regressions.'
  static override description = `Lists runs from the local history (.firedrill/history.sqlite, or $FIREDRILL_HOME), oldest first.
A run is flagged as a regression when its RTO is worse than the median RTO of the same drill's earlier
completed runs, with at least --min-runs of them, by more than each of: --margin (a percentage such as 20%,
or a duration such as 2s), the runs' resolution (± the probe interval) and the earlier runs' spread; or when
it never recovered after runs that did. The output says why each flag fired, and why none did when a run
was within the noise or there were too few earlier runs. Interrupted and aborted runs measured nothing:
they are listed, never judged, never part of a median. Bundles evidence prune removed are listed after the runs.

Exit codes:
${BaseCommand.exitCodeHelp}`
  static override examples = ['<%= config.bin %> history', '<%= config.bin %> history --drill kill-primary --since 2026-01-01 --margin 2s']
  static override flags = {
    drill: Flags.string({description: 'Only this drill.'}),
    since: Flags.string({description: 'Only runs started on or after this date (YYYY-MM-DD).'}),
    margin: Flags.string({description: 'How much worse than the median of earlier runs is a regression.', default: `${DEFAULT_MARGIN.value}%`}),
    'min-runs': Flags.integer({description: 'Earlier runs a regression is judged against, at least.', default: DEFAULT_MIN_RUNS, min: 1}),
    store: Flags.string({description: 'History store (default: $FIREDRILL_HOME/history.sqlite, .firedrill/history.sqlite).'}),
  }

  async run(): Promise<{runs: TrendRow[]; removals: Removal[]}> {
    const since = this.flags.since === undefined ? undefined : parseDay(this.flags.since)
    if (this.flags.since !== undefined && !since) throw new ConfigError([{file: '--since', field: 'since', message: `"${this.flags.since}" is not a date such as 2026-01-31`}])
    const margin = parseMargin(this.flags.margin, parseDuration)
    if (!margin) throw new ConfigError([{file: '--margin', field: 'margin', message: `"${this.flags.margin}" is neither a percentage (20%) nor a duration (2s)`}])
    const store = HistoryStore.open(this.flags.store ?? historyDbPath())
    let rows: TrendRow[]
    let removals: Removal[]
    try {
      // The trend needs the earlier runs even when --since hides them.
      rows = withTrend(perProbe(store.runs({drill: this.flags.drill})), margin, this.flags['min-runs']).filter((r) => !since || new Date(r.started_at) >= since)
      const shown = new Set(rows.map((r) => r.run_id))
      removals = store.removals().filter((x) => (this.flags.drill ? x.run_id !== null && shown.has(x.run_id) : !since || new Date(x.at) >= since))
    } finally {
      store.close()
    }
    if (rows.length === 0 && removals.length === 0) {
      this.log('No runs recorded yet.')
      return {runs: [], removals: []}
    }
    const lines = rows.length > 0 ? [historyTable(rows)] : []
    // What evidence prune removed is part of the record.
    for (const x of removals) lines.push(`evidence removed ${x.at.slice(0, 16).replace('T', ' ')} by ${x.by}: ${x.path}${x.run_id ? ` (run ${x.run_id}, manifest sha256 ${x.manifest_sha256})` : ''}: ${x.reason}`)
    this.log(lines.join('\n'))
    return {runs: rows, removals}
  }
}
