import type {Revert} from '../drill/reverts.js'

/** A fault is a small value: it knows what it does, and injecting it returns how to undo it. */
export interface Fault {
  readonly description: string
  inject(): Promise<Revert>
}
