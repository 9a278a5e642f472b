import {DockerEngine} from '../../src/engine/docker.js'
import {LABEL} from '../../src/engine/labels.js'

export interface Leftovers {
  containers: string[]
  networks: string[]
  volumes: string[]
}

/** Everything carrying firedrill's project label (for one project, or any). */
export async function labelled(project?: string, role?: string): Promise<Leftovers> {
  const engine = new DockerEngine()
  try {
    const filter = [project ? `${LABEL.project}=${project}` : LABEL.project, ...(role ? [`${LABEL.role}=${role}`] : [])]
    const [containers, networks, volumes] = await Promise.all([engine.listContainers(filter), engine.listNetworks(filter), engine.listVolumes(filter)])
    return {containers: containers.map((c) => c.name), networks: networks.map((n) => n.name), volumes: volumes.map((v) => v.name)}
  } finally {
    engine.close()
  }
}

export const NOTHING: Leftovers = {containers: [], networks: [], volumes: []}

export function testProject(): string {
  return `fdtest-${Math.random().toString(36).slice(2, 8)}`
}
