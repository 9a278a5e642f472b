import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {loadPublicKey} from '../../evidence/signing.js'
import {ConfigError} from '../../errors.js'
import {openGivenBundles, verifyPeriodReport, type ListedCheck} from '../../evidence/period-evidence.js'
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
A signed period report (report --period --key --out DIR) is checked the same way; with --bundles, each bundle it
lists must be there with the manifest digest it names, and verify.
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
    bundle: Args.string({description: 'Run directory, tar.gz made by evidence pack, or a signed period report directory.', required: true}),
  }
  static override flags = {
    pub: Flags.string({description: 'The signer\'s public key (PEM) to verify the signature against.'}),
    bundles: Flags.string({description: 'With a signed period report: the bundles it lists (bundles, tarballs, or directories of them such as .firedrill/runs), each checked against its listed manifest digest and verified.', multiple: true}),
    'require-signature': Flags.boolean({description: 'Fail (exit 1) unless signed by a trusted key (firedrill keys trust) or the --pub key.'}),
  }

  async run(): Promise<VerifyReport & {listed?: ListedCheck[]}> {
    const {args} = await this.parse(EvidenceVerify)
    const trustedKey = this.flags.pub ? loadPublicKey(this.flags.pub) : undefined
    const opts = {trustedKey, trust: TrustStore.load(), requireSignature: this.flags['require-signature']}
    const opened = openBundle(args.bundle)
    const given = openGivenBundles(this.flags.bundles ?? [])
    const report: VerifyReport & {listed?: ListedCheck[]} = verifyBundle(opened, opts)
    if (report.kind === 'period-report') {
      const period = verifyPeriodReport(opened, given, opts)
      report.problems.push(...period.problems)
      report.listed = period.listed
      report.ok = report.problems.length === 0
    } else if (given.length > 0) {
      throw new ConfigError([{file: args.bundle, field: '--bundles', message: 'is a run\'s bundle; --bundles goes with a signed period report (report --period --key)'}])
    }
    process.exitCode = report.ok ? 0 : 1
    const head = `${report.source}: ${report.ok ? 'INTACT' : 'NOT INTACT'}`
    const what =
      report.kind === 'period-report'
        ? `  period report ${report.drill?.replace(/^period /, '') ?? '?'} (${report.run_id ?? '?'})`
        : report.kind === 'sweep'
          ? `  ${report.drill ?? 'sweep'} (${report.run_id ?? '?'}), verdict ${report.verdict ?? '?'}; each cell's run bundle under cells/`
          : `  run ${report.run_id ?? '?'}, drill ${report.drill ?? '?'}, verdict ${report.verdict ?? '?'}`
    const lines = [head, what]
    lines.push(`  ${report.files.checked} files checked against the manifest; ${report.kind === 'period-report' && report.chain.events === 0 ? 'no event chain (a period report)' : `${report.chain.events} events, hash chain ${report.chain.ok ? 'unbroken' : 'BROKEN'}`}`)
    const state = report.signature.state === 'valid' ? 'valid' : report.signature.state.toUpperCase()
    const detail = report.signature.detail.replace(new RegExp(`^${state}: `), '')
    lines.push(`  signature: ${state}${detail ? ` (${detail})` : ''}`)
    if (report.listed) {
      const count = (state: string) => report.listed!.filter((l) => l.state === state).length
      lines.push(`  listed bundles: ${count('matches')} match and verify, ${count('different')} differ, ${count('not intact')} not intact, ${count('not given')} not given`)
      for (const l of report.listed.filter((x) => x.state === 'not given')) lines.push(`  – ${l.run_id}: not checked (${l.detail})`)
    } else if (report.kind === 'period-report') lines.push('  the bundles it lists were not checked: give them with --bundles')
    for (const p of report.problems) lines.push(`  ✗ ${p}`)
    this.log(lines.join('\n'))
    return report
  }
}
