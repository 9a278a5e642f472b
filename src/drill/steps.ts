import type {Step} from '../config/drill.js'
import {formatMs} from '../config/duration.js'
import {DrillAbortedError} from '../errors.js'
import {describeDegrade} from '../faults/net-rules.js'
import {describeGroups} from '../faults/partition.js'
import {describeSelector} from '../faults/targets.js'
import type {Sample} from '../model/sample.js'
import {checkAssert, manual, runbookCommand} from './commands.js'
import {injectFault} from './fault-step.js'
import {markDisruption, type StepContext, type StepStatus} from './step-context.js'
import {waitFor} from './waits.js'

export type {FaultRecord} from '../model/result.js'
export {runCommand} from './commands.js'
export type {Operator, StepContext, StepStatus} from './step-context.js'

const REVERT_TIMEOUT_MS = 30_000

// Steps: dispatch here; fault bookkeeping in fault-step.ts, waits in waits.ts, commands (runbook,
// assert, manual) in commands.ts; what they share in step-context.ts.

/** Carry out one step. A step that cannot be carried out throws DrillAbortedError; a wait that times out returns 'timed-out'. */
export async function runStep(step: Step, index: number, ctx: StepContext, update: (message: string) => void): Promise<StepStatus> {
  switch (step.kind) {
    case 'sleep':
      await ctx.clock.sleep(step.sleep, ctx.signal)
      return 'done'
    case 'fault':
      await injectFault(step, index, ctx, update)
      return 'done'
    case 'heal': {
      ctx.healedAt ??= ctx.clock.now()
      const names = step.heal === 'all' ? undefined : step.heal
      const outcomes = await ctx.reverts.unwind(REVERT_TIMEOUT_MS, (o) => ctx.timeline.record(o.ok ? 'revert' : 'revert-failed', o.ok ? `heal: ${o.description}` : `heal: ${o.description}: ${o.error}`), names)
      ctx.revertOutcomes.push(...outcomes)
      const failed = outcomes.filter((o) => !o.ok)
      if (failed.length > 0) throw new DrillAbortedError(`step ${index + 1}: heal failed: ${failed.map((o) => `${o.description}: ${o.error}`).join('; ')}`)
      update(outcomes.map((o) => o.description).join('; ') || 'nothing to heal')
      return 'done'
    }
    case 'wait':
      return waitFor(step, ctx, update)
    case 'runbook': {
      const anchors = step.disruptive && ctx.anchor.at === undefined
      if (step.disruptive) markDisruption(ctx, `runbook "${step.runbook}" (disruptive)`)
      await runbookCommand(step.runbook, step, step.expect_exit, index, ctx)
      if (anchors) ctx.anchor.settled ??= ctx.clock.now()
      return 'done'
    }
    case 'manual': {
      const anchors = step.disruptive && ctx.anchor.at === undefined
      const status = await manual(step, index, ctx, update)
      if (anchors) ctx.anchor.settled ??= ctx.clock.now()
      return status
    }
    case 'assert': {
      ctx.asserts.push(await checkAssert(step, ctx))
      return 'done'
    }
  }
}

/**
 * The live state a person watching a drill wants: acknowledged writes (or, for a probe that only checks,
 * ok samples) per second, failing since when, time since the fault.
 */
export function liveStatus(samples: readonly Sample[], faultAt: number | undefined, now: number, writes = true): string {
  const recent = samples.filter((s) => s.end >= now - 1000)
  const okPerSecond = recent.filter((s) => s.outcome === 'ok').length
  const parts = [`${okPerSecond} ${writes ? 'writes' : 'ok'}/s`]
  const last = samples.at(-1)
  if (last && last.outcome !== 'ok') {
    // The first of the failing samples at the end.
    let first = last
    for (let i = samples.length - 2; i >= 0; i--) {
      const s = samples[i]
      if (!s || s.outcome === 'ok') break
      first = s
    }
    parts.push(`failing for ${formatMs(now - first.start)}`)
  }
  if (faultAt !== undefined) parts.push(`${formatMs(now - faultAt)} since the fault`)
  return parts.join(', ')
}

export function describeStep(step: Step): string {
  switch (step.kind) {
    case 'sleep':
      return `sleep ${formatMs(step.sleep)}`
    case 'fault':
      if (step.fault === 'partition') return `partition ${describeGroups(step.groups)}${step.direction === 'one-way' ? ' (one-way)' : ''}`
      if (step.fault === 'degrade') {
        const spec = describeDegrade({latencyMs: step.latency, jitterMs: step.jitter, lossPercent: step.loss, rate: step.rate})
        return `degrade ${describeSelector(step.target)} ↔ ${step.peer ?? 'wan'}: ${spec}`
      }
      return `${step.fault}${step.fault === 'kill' || step.fault === 'process-kill' ? ` (${step.signal})` : ''} ${describeSelector(step.target)}`
    case 'wait':
      return `wait until ${step.wait === 'role' ? `${step.role} on ${step.site}` : step.wait === 'command' ? `${step.argv.join(' ')} succeeds` : step.wait} (at most ${formatMs(step.timeout)})`
    case 'heal':
      return `heal ${step.heal === 'all' ? 'every fault' : step.heal.join(', ')}`
    case 'runbook':
      return `runbook: ${step.runbook}`
    case 'assert':
      return `assert: ${step.assert}`
    case 'manual':
      return `manual: ${step.manual}`
  }
}
