/** What a validated fault step is, whatever validated it. Shared vocabulary: this module imports nothing else from src/ but model/. */
import type {ClusterRole, FaultKind} from './vocabulary.js'

/** Which containers a step acts on; resolved when the step runs (role: leader is whoever leads then). */
export interface TargetSelector {
  service?: string
  site?: string
  role?: ClusterRole
}

/**
 * Every field a fault step may carry once validated (each kind's schema says which it takes and
 * fills its defaults): src/faults/<kind>.ts declares them, src/config/fault-kinds.ts composes them.
 */
export interface FaultFields {
  fault: FaultKind
  name?: string
  target?: TargetSelector
  signal: string
  timeout: number
  process: string
  path?: string
  max_fill: number
  revert: boolean
  groups?: string[][]
  direction?: 'both' | 'one-way'
  peer?: string
  latency?: number
  jitter?: number
  loss?: number
  rate?: string
}

/** A fault step of kinds `K`, with the fields `R` its kind requires (the rest as validated). */
type FaultOf<K extends FaultKind, R> = Omit<FaultFields, 'fault' | keyof R> & {fault: K} & R
/** A validated fault step: one member of a union discriminated on `fault:` (kinds that need the same fields share one). */
export type FaultSpec =
  | FaultOf<'kill' | 'stop' | 'pause' | 'restart' | 'process-kill' | 'degrade', {target: TargetSelector}>
  | FaultOf<'power-cut' | 'host-power-cut' | 'isolate', {target: TargetSelector & {site: string}}>
  | FaultOf<'disk-full', {target: TargetSelector; path: string}>
  | FaultOf<'partition', {groups: string[][]; target: undefined}>
