import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {packBundle, type PackResult} from '../../evidence/pack.js'

export default class EvidencePack extends BaseCommand<typeof EvidencePack> {
  static override summary = 'Pack a run directory into one tar.gz to archive or hand over.'
  static override description = `The bundle is verified first and not packed when it is not intact (unless --force).
The tarball holds one directory named after the run; firedrill evidence verify and firedrill report read it as it is.

Exit codes:
0    packed
1    not packed: the bundle is not intact (each problem is named)
2    not a bundle, or the tarball already exists`
  static override examples = ['<%= config.bin %> evidence pack .firedrill/runs/20261123T101500Z-1a2b3c', '<%= config.bin %> evidence pack RUN_DIR --out q4-kill-primary.tar.gz']
  static override args = {
    dir: Args.string({description: 'Run directory.', required: true}),
  }
  static override flags = {
    out: Flags.string({char: 'o', description: 'The tar.gz to write (default: RUN_DIR.tar.gz).'}),
    force: Flags.boolean({description: 'Pack even a bundle that does not verify.'}),
  }

  async run(): Promise<Omit<PackResult, 'verify'> & {ok: boolean; problems: string[]}> {
    const {args} = await this.parse(EvidencePack)
    const r = packBundle(args.dir, {out: this.flags.out, force: this.flags.force})
    process.exitCode = r.packed ? 0 : 1
    if (r.packed) this.log(`Packed ${r.files} files into ${r.file} (${(r.bytes / 1024).toFixed(0)} KiB)${r.verify.ok ? '' : ' although the bundle is NOT intact (--force)'}.`)
    else this.log(`Not packed: ${args.dir} is not intact.\n${r.verify.problems.map((p) => `  ✗ ${p}`).join('\n')}`)
    const {verify, ...rest} = r
    return {...rest, ok: verify.ok, problems: verify.problems}
  }
}
