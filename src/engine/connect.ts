import {DockerEngine} from './docker.js'
import type {Engine} from './engine.js'
import {EngineSet} from './engine-set.js'
import {ConfigError} from '../errors.js'
import type {Topology} from '../model/topology.js'

/**
 * The engine a command talks to for these topologies: the local one (DOCKER_HOST or the default socket)
 * when they name no engine; the one engine they name; or, with sites on several engines, an EngineSet
 * with one client per engine. Drills on topologies placed on different engines are run separately.
 */
export function engineFor(topologies: readonly Pick<Topology, 'file' | 'engines' | 'sites'>[]): Engine {
  const first = topologies[0]
  if (!first) return new DockerEngine()
  const key = (t: Pick<Topology, 'engines'>) => JSON.stringify(t.engines.map((e) => e.endpoint))
  const other = topologies.find((t) => key(t) !== key(first))
  if (other) {
    throw new ConfigError([{file: other.file, field: 'engines', message: `the engines of this topology differ from those of ${first.file}: run drills of each topology separately`}])
  }
  if (first.engines.length === 1) {
    const e = first.engines[0]!
    return e.endpoint.kind === 'local' ? new DockerEngine() : new DockerEngine({endpoint: e.endpoint, describe: e.describe, name: e.name})
  }
  const members = first.engines.map((e) => ({
    name: e.name,
    describe: e.describe,
    engine: e.endpoint.kind === 'local' ? new DockerEngine({name: e.name, describe: e.describe}) : new DockerEngine({endpoint: e.endpoint, describe: e.describe, name: e.name}),
  }))
  // Images built or pulled on this machine are loaded onto the engines that lack them.
  const source = first.engines.some((e) => e.endpoint.kind === 'local') ? undefined : new DockerEngine()
  return new EngineSet(members, new Map(first.sites.map((s) => [s.name, s.engine])), source)
}
