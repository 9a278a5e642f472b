import {BaseCommand, topologyFlag} from '../cli/base-command.js'
import {loadTopology} from '../config/load-topology.js'
import {statusTable} from '../report/table.js'
import type {RouteVia} from '../model/reach.js'
import {checkHealthNow, observe, unhealthyReasons} from '../topology/observe.js'
import {describeRoute} from '../topology/relay.js'

export interface StatusRow {
  site: string
  service: string
  container: string
  state: string
  health: string
  role: string | null
}

export default class Status extends BaseCommand<typeof Status> {
  static override summary = 'Show every container of a topology: state, health, and cluster role read from its cluster manager (Patroni, a command, or an HTTP path per role).'
  static override examples = ['<%= config.bin %> status', '<%= config.bin %> status --json']
  static override flags = {topology: topologyFlag}

  async run(): Promise<{project: string; healthy: boolean; problems: string[]; route: RouteVia; instances: StatusRow[]}> {
    const topology = loadTopology(this.flags.topology)
    const engine = await this.engine([topology])
    const seen = await observe(topology, engine)
    // The engine checks health every `interval`; where its last word is not `healthy`, ask now.
    await checkHealthNow(seen, engine)
    const problems = unhealthyReasons(seen)
    this.log(statusTable(seen.instances))
    const up = seen.instances.some((o) => o.container)
    this.log(!up ? `Topology ${topology.project} is not up.` : problems.length === 0 ? `Topology ${topology.project} is healthy.` : `Not healthy: ${problems.join('; ')}`)
    if (seen.route.via.kind !== 'direct') this.log(describeRoute(seen.route.via))
    return {
      project: topology.project,
      healthy: problems.length === 0,
      problems,
      route: seen.route.via,
      instances: seen.instances.map((o) => ({
        site: o.instance.site,
        service: o.instance.service,
        container: o.instance.containerName,
        state: o.container?.state ?? 'absent',
        health: o.healthNow?.ok ? 'healthy' : (o.container?.health ?? 'none'),
        role: o.role ?? null,
      })),
    }
  }
}
