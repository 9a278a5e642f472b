import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../cli/base-command.js'
import {keyValueFlags} from '../cli/key-value-flags.js'
import {scaffold, shippedExamples, type ScaffoldResult} from '../project/scaffold.js'

export default class Init extends BaseCommand<typeof Init> {
  static override summary = 'Start a project of your own: a topology, a kill-the-primary drill, a policy and CI files.'
  static override description = `Writes into DIR (default: the current directory; created if missing):
  topology/topology.yaml        the example topology (and its image's build context), named after DIR;
                                with --from-compose, the topology imported from your compose file
                                (as firedrill import compose does: --site and --env mean the same there)
  drills/kill-primary.yaml      a drill that kills the primary, with RTO (and, for a database, RPO) objectives
  drills/policy.yaml            objective tiers for drills that name a tier
  .github/workflows/firedrill.yml   GitHub Actions: nightly and on demand; JUnit, HTML and evidence as artifacts
  .gitlab-ci.yml                GitLab CI: from a schedule or by hand; the JUnit report, evidence as artifacts
From a compose file, the drill kills the leader of a service with a cluster manager (x-firedrill: cluster),
else the primary site's instance of a service that also runs on another site, else (no standby to take
over) a service on the primary site, started again after 5 s. Its probe writes to PostgreSQL or Redis when
the service is one, else connects to its first published port, else runs its health check; what init could
not know is printed (and written at the top of the drill) for you to fill in.
Every file written validates (firedrill validate DIR/topology DIR/drills). Nothing is written over an
existing file (exit 2). Then: cd DIR && firedrill run drills/

Exit codes:
0    written
2    a file would be overwritten, a bad flag, or the compose file cannot be imported (file, line and field)`
  static override examples = [
    '<%= config.bin %> init my-drills',
    '<%= config.bin %> init . --example bank-3site --name payments',
    '<%= config.bin %> init drills-for-shop --from-compose docker-compose.yml --site db=dc1 --site db-replica=dc2',
  ]
  static override args = {
    dir: Args.string({description: 'Directory to write the project into.', default: '.'}),
  }
  static override flags = {
    example: Flags.string({description: 'The shipped topology to start from.', options: shippedExamples(), default: shippedExamples()[0], exclusive: ['from-compose']}),
    'from-compose': Flags.string({description: 'Import the topology from this docker-compose file instead of starting from an example.', helpValue: 'FILE'}),
    site: Flags.string({description: 'With --from-compose: put compose service SERVICE on site SITE (repeatable).', helpValue: 'SERVICE=SITE', multiple: true, dependsOn: ['from-compose']}),
    env: Flags.string({description: 'With --from-compose: a value for ${NAME} in the compose file (repeatable); your environment is never read.', helpValue: 'NAME=VALUE', multiple: true, dependsOn: ['from-compose']}),
    name: Flags.string({description: "The topology's name (its containers' project; default: the directory's name)."}),
  }

  async run(): Promise<ScaffoldResult> {
    const {args} = await this.parse(Init)
    const from = this.flags['from-compose']
    const compose = from
      ? {file: from, sites: keyValueFlags(this.flags.site ?? [], '--site', 'SERVICE=SITE', from), env: keyValueFlags(this.flags.env ?? [], '--env', 'NAME=VALUE', from)}
      : undefined
    const result = scaffold(args.dir, {example: compose ? undefined : this.flags.example, name: this.flags.name, compose})
    const origin = result.example ? `from the ${result.example} example` : `imported from ${from}`
    this.log(`Wrote a firedrill project (topology ${result.name}, ${origin}) in ${result.dir}:`)
    for (const f of result.files.filter((f) => !f.startsWith('topology/') || f === 'topology/topology.yaml')) this.log(`  ${f}`)
    if (result.example) this.log(`  (and the topology's image build context under topology/)`)
    for (const note of result.notes) this.warn(note)
    this.log(`Next: cd ${args.dir} && firedrill validate topology drills && firedrill run drills/`)
    return result
  }
}
