import type {Step} from './drill.js'
import {formatDuration} from './duration.js'

/**
 * A drill's overall deadline: how long it may run from its start (network faults prepared, the probe
 * started) to the end of its last step. Past it the runner stops the steps as on Ctrl-C, reverts every
 * fault (each revert with its own bound) and records the run as aborted, with no figures.
 */
export interface Deadline {
  ms: number
  /** Written in the drill (`deadline:`), given with `run --deadline`, or derived from the steps. */
  from: 'drill' | 'flag' | 'default'
}

/** What a fault or heal step may take: its engine calls (each bounded at a minute) and a stop's own grace period. */
const ENGINE_STEP_MS = 60_000
/** Added to the steps' bounds for the default: starting the probe and preparing network faults. */
export const DEADLINE_MARGIN_MS = 2 * 60_000

/** The longest one step can take when everything it waits on is bounded by its own timeout. */
export function stepBoundMs(step: Step): number {
  switch (step.kind) {
    case 'sleep':
      return step.sleep
    case 'fault':
      return ENGINE_STEP_MS + (step.fault === 'stop' || step.fault === 'restart' ? step.timeout : 0)
    case 'heal':
      return ENGINE_STEP_MS
    case 'wait':
    case 'runbook':
    case 'assert':
      return step.timeout
    case 'manual':
      return Math.max(step.timeout, step.ci?.timeout ?? 0)
  }
}

/** The default deadline: every step's own bound added up, plus a margin for starting the probe. */
export function defaultDeadlineMs(steps: readonly Step[]): number {
  return steps.reduce((sum, s) => sum + stepBoundMs(s), DEADLINE_MARGIN_MS)
}

export function describeDeadline(d: Deadline): string {
  const text = formatDuration(d.ms)
  if (d.from === 'flag') return `deadline ${text} (--deadline)`
  if (d.from === 'drill') return `deadline ${text} (set in the drill)`
  return `default deadline ${text} (the steps' own bounds plus ${formatDuration(DEADLINE_MARGIN_MS)})`
}

/**
 * Whether the steps can fit the deadline. An error when the sleeps alone (time the steps take for
 * certain) reach it: the drill could never finish. A warning for each step whose own timeout lies past
 * the deadline: that timeout can never fire, and the deadline aborts the run (no figures) where the
 * timeout would have failed the step (graded).
 */
export function checkDeadline(steps: readonly Step[], deadline: Deadline): {error?: string; warnings: {index: number; message: string}[]} {
  let certain = 0
  const warnings: {index: number; message: string}[] = []
  for (const [index, step] of steps.entries()) {
    if (step.kind === 'sleep') {
      certain += step.sleep
      continue
    }
    const own = step.kind === 'wait' || step.kind === 'runbook' || step.kind === 'assert' || step.kind === 'manual' ? step.timeout : undefined
    if (own !== undefined && certain + own > deadline.ms) {
      warnings.push({
        index,
        message: `its timeout of ${formatDuration(own)} can never be reached: ${certain > 0 ? `after ${formatDuration(certain)} of sleeps before it, ` : ''}the ${describeDeadline(deadline)} ends the drill first (aborted, not graded)`,
      })
    }
  }
  if (certain >= deadline.ms) {
    return {error: `the sleeps alone take ${formatDuration(certain)}, so the ${describeDeadline(deadline)} can never be met`, warnings}
  }
  return {warnings}
}
