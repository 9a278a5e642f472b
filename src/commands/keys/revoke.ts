import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {parseDay} from '../../history/calendar.js'
import {operatorOf} from '../../evidence/environment.js'
import {revokeKey} from '../../evidence/trust.js'
import {ConfigError} from '../../errors.js'

export default class KeysRevoke extends BaseCommand<typeof KeysRevoke> {
  static override summary = 'Revoke a trusted key: its signatures made from the revocation date on fail.'
  static override description = `Bundles and period reports the key signed before the revocation date still verify, with a note; those it
signed on or after it fail (exit 1). The date compared is the one in the signed statement, which the key's
holder wrote: when a key was stolen, revoke it from the day it may have been stolen (--at), not from today.
The entry stays in the list, marked revoked, so the key cannot be trusted again by mistake.

Exit codes:
0    revoked
2    no such trusted key, or a bad --at`
  static override examples = ['<%= config.bin %> keys revoke ops-team --reason "laptop lost"', '<%= config.bin %> keys revoke 3f5a9c0e --at 2026-11-20']
  static override args = {
    key: Args.string({description: 'The key: its name, or its id (at least 8 hex digits).', required: true}),
  }
  static override flags = {
    at: Flags.string({description: 'Revoke from this date or time (YYYY-MM-DD or ISO; default: now).'}),
    reason: Flags.string({description: 'Why (recorded with the revocation).'}),
    operator: Flags.string({description: 'Who is revoking it (default: the login).'}),
  }

  async run(): Promise<{revoked: {name: string; keyid: string; scope: string; revoked_at: string | null; file: string}[]}> {
    const {args} = await this.parse(KeysRevoke)
    const at = this.flags.at === undefined ? undefined : parseDay(this.flags.at)
    if (this.flags.at !== undefined && !at) throw new ConfigError([{file: '--at', field: 'at', message: `"${this.flags.at}" is not a date such as 2026-11-20 or 2026-11-20T09:00:00Z`}])
    const keys = revokeKey(args.key, {at, reason: this.flags.reason, by: operatorOf(this.flags.operator).name})
    for (const k of keys) this.log(`Revoked ${k.name}: key ${k.keyid} from ${k.revoked_at} (${k.scope} trusted keys, ${k.file}).`)
    return {revoked: keys.map((k) => ({name: k.name, keyid: k.keyid, scope: k.scope, revoked_at: k.revoked_at, file: k.file}))}
  }
}
