import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {operatorOf} from '../../evidence/environment.js'
import {trustKey} from '../../evidence/trust.js'

export default class KeysTrust extends BaseCommand<typeof KeysTrust> {
  static override summary = 'Trust a public key: bundles it signs pass evidence verify --require-signature.'
  static override description = `Adds the public key (PEM; a private key file gives its public half) to the project's trusted keys
($FIREDRILL_HOME/trusted-keys/, default .firedrill/trusted-keys/, one JSON file per key: commit it) or, with
--user, to yours ($XDG_CONFIG_HOME/firedrill/trusted-keys/, default ~/.config/firedrill/trusted-keys/).
Check the key id it prints with the key's owner before you trust it. A revoked key is not trusted again.

Exit codes:
0    trusted (or already trusted in that list)
2    not a public key, a revoked key, or the name is taken`
  static override examples = ['<%= config.bin %> keys trust ops.pub.pem --name ops-team', '<%= config.bin %> keys trust auditor.pub.pem --user']
  static override args = {
    file: Args.string({description: 'The public key (PEM).', required: true}),
  }
  static override flags = {
    name: Flags.string({description: 'What to call the key (default: the file name without .pub.pem).'}),
    user: Flags.boolean({description: "Trust it for you (every project) instead of for this project."}),
    operator: Flags.string({description: 'Who is trusting it (default: the login).'}),
  }

  async run(): Promise<{name: string; keyid: string; scope: string; file: string; added: boolean}> {
    const {args} = await this.parse(KeysTrust)
    const {key, added} = trustKey(args.file, {name: this.flags.name, scope: this.flags.user ? 'user' : 'project', by: operatorOf(this.flags.operator).name})
    this.log(added ? `Trusted ${key.name}: key ${key.keyid} (${key.scope} trusted keys, ${key.file}).` : `Already trusted as ${key.name}: key ${key.keyid} (${key.file}).`)
    return {name: key.name, keyid: key.keyid, scope: key.scope, file: key.file, added}
  }
}
