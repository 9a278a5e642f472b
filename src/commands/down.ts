import {Flags} from '@oclif/core'

import {BaseCommand, topologyFlag} from '../cli/base-command.js'
import {name} from '../config/common.js'
import {loadTopology} from '../config/load-topology.js'
import {DEFAULT_TOPOLOGY} from '../paths.js'
import {ConfigError} from '../errors.js'
import {withProjectLocks} from '../session/lock.js'
import {tearDown, type DownResult} from '../topology/lifecycle.js'

export default class Down extends BaseCommand<typeof Down> {
  static override summary = 'Remove everything of a topology (found by label); succeeds when nothing is there.'
  static override description = `Removes the containers, networks and volumes labelled io.firedrill.project=<project>. Never touches anything else.

Exit codes:
${BaseCommand.exitCodeHelp}`
  static override examples = ['<%= config.bin %> down', '<%= config.bin %> down --project bank-3site']
  static override flags = {
    topology: topologyFlag,
    project: Flags.string({description: 'Project name to remove, instead of reading it from a topology file.'}),
  }

  async run(): Promise<DownResult> {
    // The topology file says which engines its sites run on; --project alone means the local engine.
    const topology = this.flags.project === undefined || this.flags.topology !== DEFAULT_TOPOLOGY ? loadTopology(this.flags.topology) : undefined
    const project = this.flags.project ?? topology!.project
    if (topology && topology.project !== project) throw new ConfigError([{file: '--project', field: 'project', message: `--project ${project} is not the project of ${topology.file} (${topology.project})`}])
    const valid = name('project').safeParse(project)
    if (!valid.success) throw new ConfigError([{file: '--project', field: 'project', message: valid.error.issues[0]!.message}])
    const progress = this.progress()
    // Never from under a running drill: down waits its turn like everyone else.
    let where: string | undefined
    const result = await withProjectLocks(
      [project],
      async () => {
        const engine = await this.engine(topology ? [topology] : [])
        where = engine.endpoint?.().describe
        return tearDown(project, engine, progress)
      },
      progress.log,
    )
    const nothing = result.containers + result.networks + result.volumes === 0
    this.log(nothing ? `Nothing of ${project} was there.` : `Removed ${result.containers} containers, ${result.networks} networks and ${result.volumes} volumes of ${project}.`)
    // --project alone asks one engine; a topology whose sites run on other engines is only found through its file.
    if (nothing && !topology) this.log(`(Looked on the engine at ${where ?? 'DOCKER_HOST'} only: a topology whose sites run on other engines is removed with --topology FILE.)`)
    return result
  }
}
