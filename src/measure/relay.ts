import type {RouteRecord} from '../model/result.js'
import type {RouteVia} from '../model/reach.js'

/** The middle value (the mean of the two middle ones for an even count); undefined for none. */
export function median(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

/** Tenths of a millisecond: finer than any probe interval, coarser than timer noise. */
const tenths = (ms: number) => Math.round(ms * 10) / 10

/**
 * What the relay costs, from connect times measured through it (`through`: to a container, forwarded)
 * and to it (`toRelay`: a port it refuses itself, so the same path as far as the relay). Added = the
 * difference of the medians, never below 0. Direct: nothing added.
 */
export function routeRecord(via: Exclude<RouteVia, {kind: 'none'}>, times?: {through: readonly number[]; toRelay: readonly number[]}): RouteRecord {
  if (via.kind === 'direct') return {via: 'direct', relay: null, host: null, why: null, connect_ms: null, added_ms: null, trials: 0}
  const through = median(times?.through ?? [])
  const toRelay = median(times?.toRelay ?? [])
  return {
    via: 'relay',
    relay: via.container,
    host: via.host,
    why: via.why || null,
    connect_ms: through === undefined ? null : tenths(through),
    added_ms: through === undefined || toRelay === undefined ? null : tenths(Math.max(0, through - toRelay)),
    trials: Math.min(times?.through.length ?? 0, times?.toRelay.length ?? 0),
  }
}

/** A probe's resolution with what the relay adds to each of its samples. */
export function withRelay(resolutionMs: number, route: RouteRecord | undefined): number {
  return route?.added_ms ? tenths(resolutionMs + route.added_ms) : resolutionMs
}
