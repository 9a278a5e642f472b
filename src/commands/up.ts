import {Flags} from '@oclif/core'

import {BaseCommand, buildArgFlag, parseBuildArgs, topologyFlag} from '../cli/base-command.js'
import {loadTopology} from '../config/load-topology.js'
import {formatMs} from '../config/duration.js'
import {upTopology} from '../session/hold.js'
import type {UpResult} from '../topology/lifecycle.js'
import {describeRoute} from '../topology/relay.js'

export default class Up extends BaseCommand<typeof Up> {
  static override summary = 'Bring a topology up and wait until it is really healthy.'
  static override description = `Creates one network per site, a WAN network joining them (on the subnets the topology gives them, or ones the engine picks), and every container, all labelled io.firedrill.*.
"Healthy" means every container's health check passes and every cluster shows its roles (for bank-3site: a leader, a sync standby and a streaming replica).
When the runner cannot reach the containers' addresses (an engine on another host: DOCKER_HOST=tcp://… or ssh://…), a relay container is added on the topology's networks, publishing ports on the engine's host; probes and role readers go through it, and it is removed with the topology.
If something is in the way (a port, a container or network name, a subnet another network uses, a missing image), nothing is created. If bring-up fails half-way, what was created is removed.

Exit codes:
${BaseCommand.exitCodeHelp}`
  static override examples = ['<%= config.bin %> up', '<%= config.bin %> up --topology my-topology.yaml --json']
  static override flags = {
    topology: topologyFlag,
    'build-arg': buildArgFlag,
    rebuild: Flags.boolean({description: 'Rebuild images that have a build context even when present.'}),
  }

  async run(): Promise<UpResult> {
    const topology = loadTopology(this.flags.topology)
    // Interrupted half-way, up removes what it created, as it does on any failure.
    const result = await upTopology(topology, {connect: () => this.engine([topology]), progress: this.progress(), buildArgs: parseBuildArgs(this.flags['build-arg']), rebuild: this.flags.rebuild})
    this.log(
      result.created
        ? `Topology ${result.project} is up and healthy in ${formatMs(result.duration_ms)} (${formatMs(result.healthy_after_start_ms ?? 0)} from first container start).`
        : `Topology ${result.project} was already up; healthy after ${formatMs(result.duration_ms)}.`,
    )
    if (result.route.kind !== 'direct') this.log(describeRoute(result.route))
    return result
  }
}
