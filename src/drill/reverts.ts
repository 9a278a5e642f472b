import {errorMessage} from '../errors.js'

export interface Revert {
  description: string
  run: () => Promise<void>
}

export interface RevertOutcome {
  description: string
  ok: boolean
  error?: string
}

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

  async unwind(timeoutMs: number, onOutcome: (o: RevertOutcome) => void = () => {}): Promise<RevertOutcome[]> {
    const outcomes: RevertOutcome[] = []
    while (this.stack.length > 0) {
      const revert = this.stack.pop()!
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
