import {errorMessage} from '../errors.js'
import type {Revert, RevertOutcome} from '../model/revert.js'

export type {Revert, RevertOutcome} from '../model/revert.js'



/**
 * Faults push how to undo themselves here before the runner moves on; the runner pops every one,
 * newest first, on success, failure, timeout or interruption. A revert that fails does not stop the others.
 */
export class RevertStack {
  private readonly stack: Revert[] = []

  push(revert: Revert): void {
    this.stack.push(revert)
  }

  get size(): number {
    return this.stack.length
  }

  pending(): string[] {
    return this.stack.map((r) => r.description)
  }

  /** Undo every fault (newest first), or only the named ones. */
  async unwind(timeoutMs: number, onOutcome: (o: RevertOutcome) => void = () => {}, names?: readonly string[]): Promise<RevertOutcome[]> {
    const outcomes: RevertOutcome[] = []
    const chosen = names ? this.stack.filter((r) => r.name !== undefined && names.includes(r.name)) : [...this.stack]
    for (const r of chosen) this.stack.splice(this.stack.indexOf(r), 1)
    while (chosen.length > 0) {
      const revert = chosen.pop()!
      let outcome: RevertOutcome
      try {
        await withTimeout(revert.run(), timeoutMs, `revert "${revert.description}" took longer than ${timeoutMs} ms`)
        outcome = {description: revert.description, ok: true}
      } catch (error) {
        outcome = {description: revert.description, ok: false, error: errorMessage(error)}
      }
      outcomes.push(outcome)
      onOutcome(outcome)
    }
    return outcomes
  }
}

export async function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  try {
    return await Promise.race([promise, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(message)), ms)))])
  } finally {
    clearTimeout(timer)
  }
}
