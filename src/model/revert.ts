/** How a fault is undone, and how undoing it went. Shared vocabulary: this module imports nothing else from src/. */

export interface Revert {
  description: string
  run: () => Promise<void>
  /** The fault's name, so a `heal` step can undo it before the drill ends. */
  name?: string
}
export interface RevertOutcome {
  description: string
  ok: boolean
  error?: string
}
