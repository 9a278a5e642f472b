import {Flags} from '@oclif/core'

import {BaseCommand, topologyFlag} from '../cli/base-command.js'
import {name} from '../config/common.js'
import {loadTopology} from '../config/load-topology.js'
import {DEFAULT_TOPOLOGY} from '../paths.js'
import {withProjectLocks} from '../session/lock.js'
import {ConfigError, DrillAbortedError} from '../errors.js'
import {cleanup, type CleanupResult} from '../drill/cleanup.js'

export default class Cleanup extends BaseCommand<typeof Cleanup> {
  static override summary = 'Restore a topology a killed firedrill left faults in.'
  static override description = `Before each fault, firedrill writes what it is about to change to a journal. If the runner is killed
(SIGKILL, OOM, a lost machine) the faults stay in place and the journal stays, and no drill starts on
that topology until this command has undone them: containers started or thawed, networks reconnected,
fill files removed, network-fault helpers with their chains and qdiscs removed (by their labels; a qdisc
firedrill did not add is never touched). With --remove the topology is then taken down as well.

Exit codes:
0    restored (or nothing to restore)
2    bad input
3    Docker engine unreachable
4    something could not be restored (named); the journal is kept`
  static override examples = ['<%= config.bin %> cleanup', '<%= config.bin %> cleanup --project bank-3site --remove']
  static override flags = {
    topology: topologyFlag,
    project: Flags.string({description: 'Project to restore, instead of reading it from a topology file.'}),
    remove: Flags.boolean({description: 'Also remove the topology (its containers, networks and volumes) once restored.'}),
  }

  async run(): Promise<CleanupResult> {
    // The topology file says which engines its sites run on; --project alone means the local engine.
    const topology = this.flags.project === undefined || this.flags.topology !== DEFAULT_TOPOLOGY ? loadTopology(this.flags.topology) : undefined
    const project = this.flags.project ?? topology!.project
    if (topology && topology.project !== project) throw new ConfigError([{file: '--project', field: 'project', message: `--project ${project} is not the project of ${topology.file} (${topology.project})`}])
    const valid = name('project').safeParse(project)
    if (!valid.success) throw new ConfigError([{file: '--project', field: 'project', message: valid.error.issues[0]!.message}])
    const progress = this.progress()
    const result = await withProjectLocks([project], async () => cleanup(project, await this.engine(topology ? [topology] : []), {remove: this.flags.remove}), progress.log)
    if (result.journal) this.log(`Run ${result.journal.run_id} (pid ${result.journal.pid} on ${result.journal.host}, started ${result.journal.started_at}) did not finish.`)
    for (const a of result.actions) this.log(`  ${a}`)
    if (result.failures.length > 0) {
      throw new DrillAbortedError(`could not restore everything of ${project} (the journal is kept; run cleanup again once fixed):\n${result.failures.map((f) => `  ${f}`).join('\n')}`)
    }
    this.log(result.actions.length === 0 && !result.journal ? `Nothing of ${project} needed restoring.` : `Topology ${project} restored.`)
    if (result.removed) this.log(`Removed ${result.removed.containers} containers, ${result.removed.networks} networks and ${result.removed.volumes} volumes of ${project}.`)
    return result
  }
}
