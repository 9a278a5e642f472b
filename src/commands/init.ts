import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../cli/base-command.js'
import {scaffold, shippedExamples, type ScaffoldResult} from '../project/scaffold.js'

export default class Init extends BaseCommand<typeof Init> {
  static override summary = 'Start a project of your own: a topology, a kill-the-primary drill, a policy and CI files.'
  static override description = `Writes into DIR (default: the current directory; created if missing):
  topology/topology.yaml        the example topology (and its image's build context), named after DIR
  drills/kill-primary.yaml      a drill that kills whichever node leads, with RTO and RPO objectives
  drills/policy.yaml            objective tiers for drills that name a tier
  .github/workflows/firedrill.yml   GitHub Actions: nightly and on demand; JUnit, HTML and evidence as artifacts
  .gitlab-ci.yml                GitLab CI: from a schedule or by hand; the JUnit report, evidence as artifacts
Every file written validates (firedrill validate DIR/topology DIR/drills). Nothing is written over an
existing file (exit 2). Then: cd DIR && firedrill run drills/

Exit codes:
0    written
2    a file would be overwritten, or a bad flag`
  static override examples = ['<%= config.bin %> init my-drills', '<%= config.bin %> init . --example bank-3site --name payments']
  static override args = {
    dir: Args.string({description: 'Directory to write the project into.', default: '.'}),
  }
  static override flags = {
    example: Flags.string({description: 'The shipped topology to start from.', options: shippedExamples(), default: shippedExamples()[0]}),
    name: Flags.string({description: "The topology's name (its containers' project; default: the directory's name)."}),
  }

  async run(): Promise<ScaffoldResult> {
    const {args} = await this.parse(Init)
    const result = scaffold(args.dir, {example: this.flags.example, name: this.flags.name})
    this.log(`Wrote a firedrill project (topology ${result.name}, from the ${result.example} example) in ${result.dir}:`)
    for (const f of result.files.filter((f) => !f.startsWith('topology/') || f === 'topology/topology.yaml')) this.log(`  ${f}`)
    this.log(`  (and the topology's image build context under topology/)`)
    this.log(`Next: cd ${args.dir} && firedrill validate topology drills && firedrill run drills/`)
    return result
  }
}
