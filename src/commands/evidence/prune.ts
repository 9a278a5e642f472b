import {Flags} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {operatorOf} from '../../evidence/environment.js'
import {historyDbPath, runsDir} from '../../evidence/home.js'
import {parseRetention, pruneBundles, type PruneEntry} from '../../evidence/prune.js'
import {HistoryStore} from '../../history/store.js'

export default class EvidencePrune extends BaseCommand<typeof EvidencePrune> {
  static override summary = 'Remove evidence bundles older than a retention period, recording each removal in the history.'
  static override description = `Looks at every bundle (run directory or tar.gz) in the runs directory ($FIREDRILL_HOME/runs, default
.firedrill/runs; --dir for another) and removes those sealed (manifest created_at) before now minus --older-than.
A bundle that a period report written with report --period --out still lists is kept while that report exists,
unless --force. Each removal is recorded in the history store first (path, run, manifest SHA-256, when, by whom,
why), and firedrill history lists it: nothing is deleted silently. --dry-run says what would go and removes nothing.

Exit codes:
0    done (or nothing to remove)
2    a bad --older-than`
  static override examples = ['<%= config.bin %> evidence prune --older-than 2y --dry-run', '<%= config.bin %> evidence prune --older-than 7y', '<%= config.bin %> evidence prune --older-than 2y --force']
  static override flags = {
    'older-than': Flags.string({description: 'The retention period: 2y, 18mo, 6w or 90d.', required: true}),
    'dry-run': Flags.boolean({description: 'Say what would be removed; remove and record nothing.'}),
    force: Flags.boolean({description: 'Remove past-retention bundles even when a period report still lists them.'}),
    dir: Flags.string({description: 'The directory of bundles (default: $FIREDRILL_HOME/runs).'}),
    store: Flags.string({description: 'History store (default: $FIREDRILL_HOME/history.sqlite, .firedrill/history.sqlite).'}),
    operator: Flags.string({description: 'Who is pruning (default: the login).'}),
  }

  async run(): Promise<{dry_run: boolean; entries: PruneEntry[]}> {
    const retention = parseRetention(this.flags['older-than'])
    const dir = this.flags.dir ?? runsDir()
    const store = HistoryStore.open(this.flags.store ?? historyDbPath())
    let entries: PruneEntry[]
    try {
      entries = pruneBundles(dir, store, {retention, dryRun: this.flags['dry-run'], force: this.flags.force, by: operatorOf(this.flags.operator).name})
    } finally {
      store.close()
    }
    const shown = entries.filter((e) => e.action !== 'kept: within retention')
    const lines = shown.map((e) => `${e.action.padEnd(16)}  ${e.path}${e.run_id ? ` (run ${e.run_id})` : ''}: ${e.detail}`)
    const removed = entries.filter((e) => e.action === 'removed' || e.action === 'would remove').length
    const within = entries.length - shown.length
    lines.push(
      `${this.flags['dry-run'] ? `Would remove ${removed}` : `Removed ${removed}`} bundle(s) older than ${retention.text} from ${dir}; ${within} within retention${this.flags['dry-run'] ? ' (dry run: nothing removed, nothing recorded)' : removed > 0 ? '; each removal is recorded in the history (firedrill history)' : ''}.`,
    )
    this.log(lines.join('\n'))
    return {dry_run: Boolean(this.flags['dry-run']), entries}
  }
}
