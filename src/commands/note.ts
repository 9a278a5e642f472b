import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../cli/base-command.js'
import {historyDbPath} from '../evidence/home.js'
import {operatorOf} from '../evidence/environment.js'
import {HistoryStore, type Note} from '../history/store.js'

export default class NoteCommand extends BaseCommand<typeof NoteCommand> {
  static override summary = 'Record a follow-up note on a run (shown in period reports next to its failures).'
  static override description = `Notes go into the history store, not into the run's evidence bundle, which stays exactly as it was signed.

Exit codes:
${BaseCommand.exitCodeHelp}`
  static override examples = ['<%= config.bin %> note 20261123T101500Z-1a2b3c "RTO over objective: Patroni ttl lowered to 10 s, change CHG-1234; re-run scheduled"']
  static override args = {
    run: Args.string({description: 'Run id.', required: true}),
    text: Args.string({description: 'The note.', required: true}),
  }
  static override flags = {
    author: Flags.string({description: 'Who writes the note (default: the login name).'}),
    store: Flags.string({description: 'History store (default: $FIREDRILL_HOME/history.sqlite, .firedrill/history.sqlite).'}),
  }

  async run(): Promise<Note> {
    const {args} = await this.parse(NoteCommand)
    const store = HistoryStore.open(this.flags.store ?? historyDbPath())
    try {
      const note = store.addNote(args.run, args.text, operatorOf(this.flags.author).name)
      this.log(`Noted on ${note.run_id} by ${note.author} at ${note.at}.`)
      return note
    } finally {
      store.close()
    }
  }
}
