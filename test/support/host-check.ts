import {DockerEngine} from '../../src/engine/docker.js'
import {labelled, type Leftovers} from './docker.js'
import {ENGINE_LAB_ROLE} from './engines.js'

/**
 * The global setup of a layer that uses the real engine: fail (never skip) when it is missing, and fail
 * the run when the layer left anything labelled behind. The integration and multi-engine layers run at
 * the same time (scripts/test.sh), so each checks only its own: the multi-engine layer what its engine
 * labs made on the host engine (everything it makes there is a lab's, labelled with ENGINE_LAB_ROLE;
 * its topologies live on the lab's engines, removed with them), the integration layer everything else.
 */
export function hostEngineCheck(layer: string, scope: 'engine-labs' | 'all-but-engine-labs'): {setup: () => Promise<void>; teardown: () => Promise<void>} {
  let before: Leftovers
  const mine = async (): Promise<Leftovers> => {
    const all = await labelled()
    if (scope === 'all-but-engine-labs') {
      const labs = await labelled(undefined, ENGINE_LAB_ROLE)
      return {
        containers: all.containers.filter((c) => !labs.containers.includes(c)),
        networks: all.networks.filter((n) => !labs.networks.includes(n)),
        volumes: all.volumes.filter((v) => !labs.volumes.includes(v)),
      }
    }
    return labelled(undefined, ENGINE_LAB_ROLE)
  }
  return {
    async setup() {
      const engine = new DockerEngine()
      try {
        await engine.info()
      } catch (error) {
        throw new Error(`${layer} tests need a running Docker engine (scripts/setup.sh starts one): ${(error as Error).message}`)
      } finally {
        engine.close()
      }
      before = await mine()
    },
    async teardown() {
      const after = await mine()
      const left = {
        containers: after.containers.filter((c) => !before.containers.includes(c)),
        networks: after.networks.filter((n) => !before.networks.includes(n)),
        volumes: after.volumes.filter((v) => !before.volumes.includes(v)),
      }
      if (left.containers.length + left.networks.length + left.volumes.length > 0) {
        throw new Error(`the ${layer} tests left Docker resources behind: ${JSON.stringify(left)}`)
      }
    },
  }
}
