import {DockerEngine} from '../../src/engine/docker.js'
import {labelled, type Leftovers} from '../support/docker.js'

let before: Leftovers

/** Integration tests need the real engine: fail, never skip, when it is missing. */
export async function setup(): Promise<void> {
  const engine = new DockerEngine()
  try {
    await engine.info()
  } catch (error) {
    throw new Error(`integration tests need a running Docker engine (scripts/setup.sh starts one): ${(error as Error).message}`)
  } finally {
    engine.close()
  }
  before = await labelled()
}

/** The suite must leave nothing behind: any labelled container, network or volume it created fails the run. */
export async function teardown(): Promise<void> {
  const after = await labelled()
  const left = {
    containers: after.containers.filter((c) => !before.containers.includes(c)),
    networks: after.networks.filter((n) => !before.networks.includes(n)),
    volumes: after.volumes.filter((v) => !before.volumes.includes(v)),
  }
  if (left.containers.length + left.networks.length + left.volumes.length > 0) {
    throw new Error(`the integration tests left Docker resources behind: ${JSON.stringify(left)}`)
  }
}
