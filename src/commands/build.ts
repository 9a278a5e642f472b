import {BaseCommand, buildArgFlag, parseBuildArgs, topologyFlag} from '../cli/base-command.js'
import {loadTopology} from '../config/load-topology.js'
import {ensureNetHelperImage, NET_HELPER_IMAGE} from '../faults/net-helper.js'
import {ensureImages} from '../topology/lifecycle.js'

export default class Build extends BaseCommand<typeof Build> {
  static override summary = "Build the images of a topology's services from their build contexts, and the network-fault helper image."
  static override description = `Always rebuilds (Docker's layer cache makes an unchanged image quick), so a changed Dockerfile is picked up.
Dockerfiles take ARG BASE_IMAGE (default debian:bookworm-slim); without a registry, pass a local base: --build-arg BASE_IMAGE=firedrill/debian-base:bookworm.`
  static override examples = ['<%= config.bin %> build', '<%= config.bin %> build --build-arg BASE_IMAGE=firedrill/debian-base:bookworm']
  static override flags = {topology: topologyFlag, 'build-arg': buildArgFlag}

  async run(): Promise<{images: Record<string, string>}> {
    const topology = loadTopology(this.flags.topology)
    const buildArgs = parseBuildArgs(this.flags['build-arg'])
    const engine = await this.engine([topology])
    const images = await ensureImages(topology, engine, {rebuild: true, buildArgs, progress: this.progress()})
    images[NET_HELPER_IMAGE] = await ensureNetHelperImage(engine, {rebuild: true, buildArgs, progress: this.progress()})
    for (const [ref, id] of Object.entries(images)) this.log(`${ref}  ${id}`)
    return {images}
  }
}
