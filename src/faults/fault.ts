import type {Revert} from '../model/revert.js'

export interface Injected {
  /** How to undo the fault; absent when there is nothing to undo (a restart, a killed process its supervisor restarts). */
  revert?: Revert
  /** What the injection observed, for the timeline (e.g. the spread of a power cut). */
  detail?: string
  /** Network faults: how the kernel was made to do it (tc netem, or the NFQUEUE fallback), for the results. */
  mechanism?: 'netem' | 'nfqueue'
}

/** A fault is a small value: it knows what it does, and injecting it returns how to undo it. */
export interface Fault {
  readonly description: string
  inject(): Promise<Injected>
}
