import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {loadPublicKey} from '../../evidence/signing.js'
import {TrustStore} from '../../evidence/trust.js'
import {openBundle, verifyBundle, type VerifyReport} from '../../evidence/verify.js'

export default class EvidenceVerify extends BaseCommand<typeof EvidenceVerify> {
  static override summary = 'Check that an evidence bundle is exactly as it was written.'
  static override description = `Checks every file against manifest.json (naming each one modified, missing or added), the hash chain of
events.jsonl, the manifest against the in-toto statement, and the statement's Ed25519 signature: against
--pub when given, else against the trusted key with the signer's id (firedrill keys list), else against the
public key shipped in the bundle, which proves integrity but not who signed: that is said as UNTRUSTED.
An unsigned bundle verifies when its files match, and says it is unsigned.
With --require-signature the bundle is intact only when signed by a trusted key (or the --pub key): an
unsigned bundle, or one signed by a key nobody trusted, fails, naming the signer's key id.
A key revoked before the bundle was signed fails it; one revoked after, verifies with a note.
Verify without firedrill: VERIFY.md in every bundle.

Exit codes:
0    intact
1    something was modified, missing, added, reordered, or the signature is bad, untrusted
     (with --require-signature) or by a revoked key (each is named)
2    not a bundle, or a bad --pub`
  static override examples = [
    '<%= config.bin %> evidence verify .firedrill/runs/20261123T101500Z-1a2b3c --require-signature',
    '<%= config.bin %> evidence verify run.tar.gz --pub ops.pub.pem --require-signature',
  ]
  static override args = {
    bundle: Args.string({description: 'Run directory or tar.gz made by evidence pack.', required: true}),
  }
  static override flags = {
    pub: Flags.string({description: 'The signer\'s public key (PEM) to verify the signature against.'}),
    'require-signature': Flags.boolean({description: 'Fail (exit 1) unless signed by a trusted key (firedrill keys trust) or the --pub key.'}),
  }

  async run(): Promise<VerifyReport> {
    const {args} = await this.parse(EvidenceVerify)
    const trustedKey = this.flags.pub ? loadPublicKey(this.flags.pub) : undefined
    const report = verifyBundle(openBundle(args.bundle), {trustedKey, trust: TrustStore.load(), requireSignature: this.flags['require-signature']})
    process.exitCode = report.ok ? 0 : 1
    const head = `${report.source}: ${report.ok ? 'INTACT' : 'NOT INTACT'}`
    const lines = [head, `  run ${report.run_id ?? '?'}, drill ${report.drill ?? '?'}, verdict ${report.verdict ?? '?'}`]
    lines.push(`  ${report.files.checked} files checked against the manifest; ${report.chain.events} events, hash chain ${report.chain.ok ? 'unbroken' : 'BROKEN'}`)
    lines.push(`  signature: ${report.signature.state === 'valid' ? 'valid' : report.signature.state.toUpperCase()}${report.signature.detail ? ` (${report.signature.detail})` : ''}`)
    for (const p of report.problems) lines.push(`  ✗ ${p}`)
    this.log(lines.join('\n'))
    return report
  }
}
