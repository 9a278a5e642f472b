import {BaseCommand} from '../../cli/base-command.js'
import {TrustStore, trustDir} from '../../evidence/trust.js'

export default class KeysList extends BaseCommand<typeof KeysList> {
  static override summary = 'The trusted keys: name, key id, added when and by whom, revoked when.'
  static override description = `Lists the project's trusted keys ($FIREDRILL_HOME/trusted-keys/, default .firedrill/trusted-keys/) and yours
($XDG_CONFIG_HOME/firedrill/trusted-keys/, default ~/.config/firedrill/trusted-keys/).

Exit codes:
${BaseCommand.exitCodeHelp}`
  static override examples = ['<%= config.bin %> keys list', '<%= config.bin %> keys list --json']

  async run(): Promise<{keys: {name: string; keyid: string; scope: string; added_at: string; added_by: string; revoked_at: string | null; revoked_by: string | null; revoke_reason: string | null; file: string}[]}> {
    await this.parse(KeysList)
    const store = TrustStore.load()
    const keys = store.keys.map(({key: _k, public_key: _p, format: _f, ...k}) => k)
    if (keys.length === 0) {
      this.log(`No trusted keys (looked in ${trustDir('project')} and ${trustDir('user')}). Trust one with: firedrill keys trust PUBLIC_KEY.pem --name NAME`)
      return {keys}
    }
    const rows = keys.map((k) => [k.name, k.keyid, k.scope, `${k.added_at.slice(0, 16).replace('T', ' ')} by ${k.added_by}`, k.revoked_at ? `REVOKED ${k.revoked_at.slice(0, 16).replace('T', ' ')} by ${k.revoked_by}${k.revoke_reason ? ` (${k.revoke_reason})` : ''}` : 'trusted'])
    const head = ['name', 'key id', 'scope', 'added (UTC)', 'status']
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
    const line = (r: string[]) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')
    this.log([line(head), ...rows.map(line)].join('\n'))
    return {keys}
  }
}
