import {Flags} from '@oclif/core'

import {BaseCommand, topologyFlag} from '../cli/base-command.js'
import {name} from '../config/common.js'
import {loadTopology} from '../config/load-topology.js'
import {DEFAULT_TOPOLOGY} from '../paths.js'
import {withProjectLocks} from '../session/lock.js'
import {ConfigError, DrillAbortedError, errorMessage} from '../errors.js'
import {cleanup, copiesOf, journalTopologyFile, type CleanupResult} from '../drill/cleanup.js'
import type {Topology} from '../model/topology.js'

export default class Cleanup extends BaseCommand<typeof Cleanup> {
  static override summary = 'Restore a topology a killed firedrill left faults in.'
  static override description = `Before each fault, firedrill writes what it is about to change to a journal. If the runner is killed
(SIGKILL, OOM, a lost machine) the faults stay in place and the journal stays, and no drill starts on
that topology until this command has undone them: containers started or thawed, networks reconnected,
fill files removed, network-fault helpers with their chains and qdiscs removed (by their labels; a qdisc
firedrill did not add is never touched). With --remove the topology is then taken down as well.

The copies of the topology a killed run --parallel left (journals naming it, or anything on the engine
labelled io.firedrill.copy-of with its project) are restored the same way and then removed: they
existed for that run only.

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

  async run(): Promise<CleanupResult & {copies: CleanupResult[]}> {
    // The topology file says which engines its sites run on. --project alone: the file the killed run's
    // journal names, when it is still there; else the local engine.
    const given = this.flags.project === undefined || this.flags.topology !== DEFAULT_TOPOLOGY
    const topology = given ? loadTopology(this.flags.topology) : this.journalTopology(this.flags.project!)
    const project = this.flags.project ?? topology!.project
    if (topology && topology.project !== project) throw new ConfigError([{file: '--project', field: 'project', message: `--project ${project} is not the project of ${topology.file} (${topology.project})`}])
    const valid = name('project').safeParse(project)
    if (!valid.success) throw new ConfigError([{file: '--project', field: 'project', message: valid.error.issues[0]!.message}])
    const progress = this.progress()
    const engine = await this.engine(topology ? [topology] : [])
    const result = await withProjectLocks([project], async () => cleanup(project, engine, {remove: this.flags.remove}), progress.log)
    const copies: CleanupResult[] = []
    for (const copy of await copiesOf(project, engine)) {
      copies.push(await withProjectLocks([copy], async () => cleanup(copy, engine, {remove: true}), progress.log))
    }
    const failures: string[] = []
    for (const r of [result, ...copies]) {
      if (r.journal) this.log(`Run ${r.journal.run_id} (pid ${r.journal.pid} on ${r.journal.host}, started ${r.journal.started_at}) did not finish${r === result ? '' : ` on copy ${r.project}`}.`)
      for (const a of r.actions) this.log(`  ${a}`)
      failures.push(...r.failures.map((f) => `  ${r === result ? '' : `${r.project}: `}${f}`))
    }
    if (failures.length > 0) {
      throw new DrillAbortedError(`could not restore everything of ${project} (the journal is kept; run cleanup again once fixed):\n${failures.join('\n')}`)
    }
    this.log(result.actions.length === 0 && !result.journal ? `Nothing of ${project} needed restoring.` : `Topology ${project} restored.`)
    if (result.removed) this.log(`Removed ${result.removed.containers} containers, ${result.removed.networks} networks and ${result.removed.volumes} volumes of ${project}.`)
    for (const c of copies) {
      if (c.removed) this.log(`Removed copy ${c.project} (left by run --parallel): ${c.removed.containers} containers, ${c.removed.networks} networks and ${c.removed.volumes} volumes.`)
    }
    return {...result, copies}
  }

  /** The topology the journal of a killed run of `project` names, if its file is still there and still that project's. */
  private journalTopology(project: string): Topology | undefined {
    const file = journalTopologyFile(project)
    if (!file) return undefined
    try {
      const topology = loadTopology(file)
      // A copy run --parallel made names its original's file: its project differs, and it ran on the local engine.
      if (topology.project !== project) return undefined
      this.log(`The journal of ${project} names its topology file ${file}: restoring on its engines.`)
      return topology
    } catch (error) {
      this.warn(`the journal of ${project} names ${file}, which no longer loads (${errorMessage(error).split('\n')[0]}); restoring on the engine at DOCKER_HOST (give --topology for sites on other engines)`)
      return undefined
    }
  }
}
