import {registerProbeSchema, type ProbeKindSchema} from '../config/probe-kinds.js'
import type {AnyProbeKind, ProbeKind} from './probe.js'
import {mysqlWrite} from './mysql/kind.js'
import {postgresWrite} from './postgres/kind.js'
import {redisWrite} from './redis/kind.js'
import {commandKind} from './command/kind.js'
import {httpKind} from './http/kind.js'
import {tcp} from './tcp/kind.js'
import './schemas.js'

/**
 * Every probe kind, by the name drills give in `probe: kind:`. The runner asks here and never names a
 * kind itself; the drill loader validates `probe:` against the schemas registered here. Importing this
 * module registers the built-in kinds (the runner does; the CLI's base command imports only
 * ./schemas.ts, so commands that only load drills never load a client library); a built-in kind
 * is one module under src/probes/, one line below and its schema's line in ./schemas.ts.
 */
const kinds = new Map<string, AnyProbeKind>()

/** Register a probe kind (its schema, capabilities and factories); returns how to remove it again (a test's own kind). */
export function registerProbeKind<S extends ProbeKindSchema>(kind: ProbeKind<S>): () => void {
  const c = kind.capabilities
  if (c.splitBrain && !kind.splitBrainWatch) throw new Error(`probe kind ${kind.kind} says it watches for split brain but has no splitBrainWatch`)
  if (c.replicationLag && !kind.replicationLagWatch) throw new Error(`probe kind ${kind.kind} says it samples replication lag but has no replicationLagWatch`)
  kinds.set(kind.kind, kind as unknown as AnyProbeKind)
  const unregisterSchema = registerProbeSchema(kind.kind, kind.schema, kind.capabilities, kind.measures)
  return () => {
    kinds.delete(kind.kind)
    unregisterSchema()
  }
}

/** The kind a validated drill names (validation refuses any other). */
export function probeKind(name: string): AnyProbeKind {
  const kind = kinds.get(name)
  if (!kind) throw new Error(`probe kind "${name}" is not registered (known: ${[...kinds.keys()].join(', ')})`)
  return kind
}

registerProbeKind(postgresWrite)
registerProbeKind(mysqlWrite)
registerProbeKind(redisWrite)
registerProbeKind(httpKind)
registerProbeKind(tcp)
registerProbeKind(commandKind)
