import path from 'node:path'

import {Flags} from '@oclif/core'

import {BaseCommand, topologyFlag} from '../../cli/base-command.js'
import {loadTopology} from '../../config/load-topology.js'
import {writeFileAtomic} from '../../util/atomic.js'
import {renderCompose, toCompose, type ComposeFile} from '../../topology/compose.js'

export default class ExportCompose extends BaseCommand<typeof ExportCompose> {
  static override summary = 'Write the docker-compose file equivalent to a topology.'
  static override description = `The same per-site networks and WAN network (with their subnets, when the topology gives them), containers (names, hostnames, images, commands, environment,
health checks, ports, volumes, stop timeouts) and io.firedrill.* labels that firedrill up creates, as a Compose
file (format 2.4: Debian's docker-compose 1.29 and Compose v2 read it). Compose starts the containers; it does
not wait for the cluster's roles as firedrill up does. Needs no Docker engine.

Exit codes:
${BaseCommand.exitCodeHelp}`
  static override examples = [
    '<%= config.bin %> export compose > docker-compose.yml',
    '<%= config.bin %> export compose --topology my-topology.yaml --out compose.yml && docker-compose -p my-topology -f compose.yml up -d',
  ]
  static override flags = {
    topology: topologyFlag,
    out: Flags.string({char: 'o', description: 'Write the file here instead of printing it (build contexts become relative to it).'}),
  }

  async run(): Promise<{project: string; file: string | null; services: number; networks: number; volumes: number; compose: ComposeFile}> {
    const topology = loadTopology(this.flags.topology)
    const out = this.flags.out ? path.resolve(this.flags.out) : undefined
    const compose = toCompose(topology, {outDir: out ? path.dirname(out) : undefined})
    const text = renderCompose(topology, compose)
    const counts = {services: Object.keys(compose.services).length, networks: Object.keys(compose.networks).length, volumes: Object.keys(compose.volumes ?? {}).length}
    if (out) {
      writeFileAtomic(out, text, 0o644)
      this.log(`Wrote ${out}: ${counts.services} services, ${counts.networks} networks, ${counts.volumes} volumes of ${topology.project}.`)
      this.log(`Bring it up with: docker-compose -p ${topology.project} -f ${out} up -d`)
    } else if (!this.jsonEnabled()) {
      process.stdout.write(text)
    }
    return {project: topology.project, file: out ?? null, ...counts, compose}
  }
}
