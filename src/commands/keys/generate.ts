import {existsSync} from 'node:fs'
import path from 'node:path'

import {Flags} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {writeFileAtomic} from '../../util/atomic.js'
import {EvidenceWriteError} from '../../evidence/bundle.js'
import {generateSigningKey, SIGNING_KEY_ENV} from '../../evidence/signing.js'
import {ExitCode} from '../../errors.js'

export default class KeysGenerate extends BaseCommand<typeof KeysGenerate> {
  static override summary = 'Make an Ed25519 key pair to sign evidence bundles with.'
  static override description = `Writes NAME.key (the private key, PKCS#8 PEM, readable only by you) and NAME.pub.pem (the public key
to hand to auditors, who trust it with firedrill keys trust NAME.pub.pem, after checking the key id printed
here with you, and then verify with: firedrill evidence verify RUN --require-signature). Never overwrites a key.

Exit codes:
${BaseCommand.exitCodeHelp}`
  static override examples = ['<%= config.bin %> keys generate', '<%= config.bin %> keys generate --dir ~/.firedrill --name ops-team']
  static override flags = {
    dir: Flags.string({description: 'Directory to write the key pair to.', default: '.'}),
    name: Flags.string({description: 'File name stem.', default: 'firedrill-signing'}),
  }

  async run(): Promise<{private_key: string; public_key: string; keyid: string}> {
    const priv = path.resolve(this.flags.dir, `${this.flags.name}.key`)
    const pub = path.resolve(this.flags.dir, `${this.flags.name}.pub.pem`)
    for (const f of [priv, pub]) if (existsSync(f)) throw new EvidenceWriteError(`${f} already exists; keys are never overwritten`, ['choose another --name or --dir'], ExitCode.BadInput)
    const k = generateSigningKey()
    writeFileAtomic(priv, k.privatePem, 0o600)
    writeFileAtomic(pub, k.publicPem, 0o644)
    this.log(
      `Private key: ${priv} (keep it secret)\nPublic key:  ${pub} (give it to whoever verifies)\nKey id:      ${k.keyid}\n\n` +
        `Trust it here with: firedrill keys trust ${pub} --name ${this.flags.name}\nSign runs with: firedrill run DRILL --key ${priv}   or   export ${SIGNING_KEY_ENV}=${priv}`,
    )
    return {private_key: priv, public_key: pub, keyid: k.keyid}
  }
}
