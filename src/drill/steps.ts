import {execa} from 'execa'

import {NETWORK_FAULTS, type AssertStep, type FaultStep, type ManualStep, type Place, type Step, type WaitStep} from '../config/drill.js'
import {formatMs} from '../config/duration.js'
import {DrillAbortedError, EngineUnavailableError, errorMessage} from '../errors.js'
import type {Engine, ExecResult} from '../engine/engine.js'
import {buildFault, undoSpecOf} from '../faults/catalog.js'
import type {Injected} from '../faults/fault.js'
import type {NetHelpers} from '../faults/net-helper.js'
import {describeDegrade} from '../faults/net-rules.js'
import {describeGroups} from '../faults/partition.js'
import {describeSelector, selectTargets} from '../faults/targets.js'
import {waitHealthy} from '../topology/lifecycle.js'
import type {Topology} from '../model/topology.js'
import {observe} from '../topology/observe.js'
import {pollUntil, type Clock} from '../util/time.js'
import type {Journal} from './journal.js'
import type {RevertStack} from './reverts.js'
import type {Timeline} from './timeline.js'
import type {AssertOutcome} from '../model/objectives.js'
import type {RevertOutcome} from '../model/revert.js'
import type {Sample} from '../model/sample.js'
import type {FaultRecord} from '../model/result.js'

export type {FaultRecord} from '../model/result.js'

/** A fault that shows no effect for this long counts as recovered once the probe is stable. */
const NO_IMPACT_GRACE_MS = 2000
const REVERT_TIMEOUT_MS = 30_000

/** The person running the drill at a terminal; absent when nobody is there (--ci, no TTY). */
export interface Operator {
  /** Who confirms manual steps: --operator, or the login name. */
  readonly name: string
  /** Show a manual step and wait for the operator: done, failed (could not do it), or no answer in time. */
  confirm(step: {number: number; of: number; title: string; instructions?: string; timeoutMs: number}, signal?: AbortSignal): Promise<'done' | 'failed' | 'timed-out'>
}

export interface StepContext {
  topology: Topology
  engine: Engine
  clock: Clock
  timeline: Timeline
  reverts: RevertStack
  samples: readonly Sample[]
  stableSamples: number
  signal?: AbortSignal
  /** The disruption the drill measures from: set by the first fault (or disruptive runbook). */
  anchor: {at?: number}
  asserts: AssertOutcome[]
  revertOutcomes: RevertOutcome[]
  operator?: Operator
  stepCount: number
  /** What is about to change, on disk before each fault (absent in tests that need no crash record). */
  journal?: Journal
  /** Helpers for network faults (partition, degrade); prepared by the runner when the drill has any. */
  netHelpers?: NetHelpers
  /** Each fault injected, with what it recorded (the mechanism of a network fault). */
  faults?: FaultRecord[]
  /** When the first heal step ran (monotonic ms). */
  healedAt?: number
}


export type StepStatus = 'done' | 'timed-out'

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
      if (step.disruptive) markDisruption(ctx, `runbook "${step.runbook}" (disruptive)`)
      await runbookCommand(step.runbook, step, step.expect_exit, index, ctx)
      return 'done'
    }
    case 'manual':
      return manual(step, index, ctx, update)
    case 'assert': {
      ctx.asserts.push(await checkAssert(step, ctx))
      return 'done'
    }
  }
}

/** A disruptive runbook or manual step (a switchover, a promotion) is what the drill measures from when no fault came first. */
function markDisruption(ctx: StepContext, detail: string): void {
  const at = ctx.timeline.record('fault', detail)
  ctx.anchor.at ??= at
}

async function runbookCommand(title: string, cmd: Parameters<typeof runCommand>[0], expectExit: number, index: number, ctx: StepContext): Promise<void> {
  const result = await runCommand(cmd, ctx)
  ctx.timeline.record('runbook', `runbook "${title}": exit ${result.exitCode}${result.stderr.trim() ? `; ${lastLine(result.stderr)}` : ''}`)
  if (result.exitCode !== expectExit) {
    throw new DrillAbortedError(`step ${index + 1}: runbook "${title}" exited ${result.exitCode} (expected ${expectExit}): ${lastLine(result.stderr || result.stdout)}`)
  }
}

/** An operator at a terminal confirms; nobody there, the step's ci command stands in. Who and when land on the timeline. */
async function manual(step: ManualStep, index: number, ctx: StepContext, update: (message: string) => void): Promise<StepStatus> {
  if (step.disruptive) markDisruption(ctx, `manual step "${step.manual}" (disruptive)`)
  if (!ctx.operator) {
    if (!step.ci) throw new DrillAbortedError(`step ${index + 1}: manual step "${step.manual}" needs an operator at a terminal, or a ci action to run instead`)
    update(`nobody at a terminal: running ${step.ci.argv.join(' ')}`)
    ctx.timeline.record('manual', `manual step "${step.manual}": nobody at a terminal, ran its ci action ${JSON.stringify(step.ci.argv)}`)
    await runbookCommand(step.manual, step.ci, step.ci.expect_exit, index, ctx)
    return 'done'
  }
  const shown = ctx.clock.now()
  ctx.timeline.record('manual', `manual step "${step.manual}" shown to ${ctx.operator.name}`, shown)
  const answer = await ctx.operator.confirm({number: index + 1, of: ctx.stepCount, title: step.manual, instructions: step.instructions, timeoutMs: step.timeout}, ctx.signal)
  const after = formatMs(ctx.clock.now() - shown)
  if (answer === 'done') {
    ctx.timeline.record('manual', `manual step "${step.manual}" confirmed done by ${ctx.operator.name} at ${ctx.clock.wall(ctx.clock.now())}, ${after} after it was shown`)
    return 'done'
  }
  if (answer === 'failed') {
    ctx.timeline.record('manual', `manual step "${step.manual}" reported failed by ${ctx.operator.name} after ${after}`)
    throw new DrillAbortedError(`step ${index + 1}: ${ctx.operator.name} reported that "${step.manual}" could not be done`)
  }
  ctx.timeline.record('manual', `manual step "${step.manual}": no answer from ${ctx.operator.name} within ${formatMs(step.timeout)}`)
  return 'timed-out'
}

async function injectFault(step: FaultStep, index: number, ctx: StepContext, update: (message: string) => void): Promise<void> {
  const seen = await observe(ctx.topology, ctx.engine)
  // A partition acts on every running container of the sites its groups name; other faults on their target.
  const targets =
    step.fault === 'partition'
      ? seen.instances.filter((o) => o.container?.state === 'running' && step.groups!.some((g) => g.includes(o.instance.site)))
      : selectTargets(step.target!, seen.instances)
  if (targets.length === 0) throw new DrillAbortedError(`step ${index + 1}: no running container matches ${step.target ? describeSelector(step.target) : 'the partition groups'} now`)
  if (NETWORK_FAULTS.includes(step.fault) && !ctx.netHelpers) throw new DrillAbortedError(`step ${index + 1}: ${step.fault} needs the network helpers, which this run did not prepare`)
  const faultName = step.name ?? `${step.fault}-${index + 1}`
  const net = ctx.netHelpers ? {helpers: ctx.netHelpers, observed: seen.instances, note: (text: string) => void ctx.timeline.record('revert', `${faultName}: ${text}`)} : undefined
  const fault = buildFault(step, targets, ctx.topology, ctx.engine, () => ctx.clock.now(), net)
  update(fault.description)
  // Durably, before the engine is asked: a runner killed from here on leaves a record cleanup can undo.
  const undo = undoSpecOf(step, targets, ctx.topology)
  const seq = undo.kind === 'none' ? undefined : ctx.journal?.intend({fault: step.fault, name: faultName, description: fault.description, undo})
  const at = ctx.timeline.record('fault', fault.description)
  ctx.anchor.at ??= at
  let injected: Injected
  try {
    injected = await fault.inject()
  } catch (error) {
    // Each fault undoes a half-done injection itself before it throws.
    if (seq !== undefined) ctx.journal?.mark(seq, 'reverted')
    throw error
  }
  if (seq !== undefined) ctx.journal?.mark(seq, 'injected')
  ctx.timeline.record('fault-done', `${fault.description}: engine call returned${injected.detail ? `; ${injected.detail}` : ''}`)
  ctx.faults?.push({step: index, name: step.name ?? `${step.fault}-${index + 1}`, kind: step.fault, description: fault.description, detail: injected.detail ?? null, mechanism: injected.mechanism ?? null})
  if (injected.revert && step.revert) {
    const revert = injected.revert
    ctx.reverts.push({
      ...revert,
      name: faultName,
      run: async () => {
        await revert.run()
        if (seq !== undefined) ctx.journal?.mark(seq, 'reverted')
      },
    })
  } else if (seq !== undefined) {
    ctx.journal?.mark(seq, 'reverted')
  }
}

async function waitFor(step: WaitStep, ctx: StepContext, update: (message: string) => void): Promise<StepStatus> {
  switch (step.wait) {
    case 'healthy':
      try {
        await waitHealthy(ctx.topology, ctx.engine, {timeoutMs: step.timeout, clock: ctx.clock, signal: ctx.signal})
        return 'done'
      } catch (error) {
        // Not a timeout: the drill was stopped, or the engine is gone (waiting longer would not help).
        if (ctx.signal?.aborted || error instanceof EngineUnavailableError) throw error
        update(errorMessage(error).split('\n')[0]!)
        return 'timed-out'
      }
    case 'recovered':
      return waitRecovered(ctx.samples, ctx.anchor.at ?? ctx.clock.now(), ctx.stableSamples, step.timeout, ctx.clock, ctx.signal, update)
    case 'role': {
      const found = await pollUntil(
        async () => {
          const seen = await observe(ctx.topology, ctx.engine)
          const holder = seen.instances.find((o) => o.role === step.role && o.instance.site === step.site && (!step.service || o.instance.service === step.service))
          update(`${step.role} on ${step.site}: ${holder ? 'yes' : 'not yet'}`)
          return holder ? true : undefined
        },
        {timeoutMs: step.timeout, intervalMs: 250, clock: ctx.clock, signal: ctx.signal},
      )
      return found ? 'done' : 'timed-out'
    }
    case 'command': {
      const ok = await pollUntil(
        async () => {
          const r = await runCommand({argv: step.argv!, in: step.in!, user: step.user, timeout: step.timeout}, ctx).catch((error: unknown) => {
            // A command that cannot run yet is polled again; an engine that is gone is not waited on.
            if (error instanceof EngineUnavailableError) throw error
            return {exitCode: -1, stdout: '', stderr: errorMessage(error)}
          })
          update(`${step.argv!.join(' ')}: exit ${r.exitCode}`)
          return r.exitCode === 0 ? true : undefined
        },
        {timeoutMs: step.timeout, intervalMs: 500, clock: ctx.clock, signal: ctx.signal},
      )
      return ok ? 'done' : 'timed-out'
    }
  }
}

async function checkAssert(step: AssertStep, ctx: StepContext): Promise<AssertOutcome> {
  const expected = `exit ${step.expect.exit}${step.expect.stdout ? ` and output matching /${step.expect.stdout}/` : ''}`
  let r: ExecResult
  try {
    r = await runCommand(step, ctx)
  } catch (error) {
    // The engine gone aborts the drill; it says nothing about what the assert checks.
    if (error instanceof EngineUnavailableError) throw error
    return {title: step.assert, met: false, measured: errorMessage(error), expected}
  }
  const matches = step.expect.stdout === undefined || new RegExp(step.expect.stdout, 'm').test(r.stdout)
  const met = r.exitCode === step.expect.exit && matches
  ctx.timeline.record('assert', `assert "${step.assert}": ${met ? 'met' : 'not met'} (exit ${r.exitCode})`)
  return {title: step.assert, met, measured: `exit ${r.exitCode}, output ${JSON.stringify(lastLine(r.stdout))}`, expected}
}

/** Run argv on the host or in the one container `in` picks now; never through a shell. */
export async function runCommand(cmd: {argv: string[]; in: Place; user?: string; timeout: number}, ctx: Pick<StepContext, 'topology' | 'engine' | 'signal'>): Promise<ExecResult> {
  if (cmd.in === 'host') {
    // Ctrl-C or the drill's deadline ends a host command at once (SIGTERM); the runner reports why.
    const r = await execa(cmd.argv[0]!, cmd.argv.slice(1), {reject: false, timeout: cmd.timeout, stdin: 'ignore', cancelSignal: ctx.signal})
    return {exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr || (r.timedOut ? `timed out after ${cmd.timeout} ms` : r.message ?? ''))}
  }
  const seen = await observe(ctx.topology, ctx.engine)
  const targets = selectTargets(cmd.in, seen.instances)
  if (targets.length !== 1) {
    throw new DrillAbortedError(
      `${describeSelector(cmd.in)} must pick exactly one running container to run ${cmd.argv[0]} in; it picks ${targets.length}${targets.length > 0 ? ` (${targets.map((t) => t.instance.containerName).join(', ')})` : ''}`,
    )
  }
  return ctx.engine.exec(targets[0]!.container!.id, cmd.argv, {user: cmd.user, timeoutMs: cmd.timeout})
}

/** Wait until the probe, after a failure following the disruption, shows a stable run of successes. */
async function waitRecovered(
  samples: readonly Sample[],
  faultAt: number,
  stable: number,
  timeoutMs: number,
  clock: Clock,
  signal: AbortSignal | undefined,
  update: (message: string) => void,
): Promise<StepStatus> {
  const deadline = clock.now() + timeoutMs
  while (clock.now() < deadline) {
    const after = samples.filter((s) => s.end >= faultAt)
    const firstBad = after.find((s) => s.outcome !== 'ok')
    const tail = after.slice(-stable)
    const stableNow = tail.length === stable && tail.every((s) => s.outcome === 'ok')
    if (stableNow && (firstBad ? tail[0]!.start > firstBad.start : clock.now() - faultAt >= NO_IMPACT_GRACE_MS)) return 'done'
    update(firstBad ? `waiting for ${stable} successive acknowledged writes` : 'no failure seen yet')
    await clock.sleep(50, signal)
  }
  return 'timed-out'
}

/** The live state a person watching a drill wants: writes per second, failing since when, time since the fault. */
export function liveStatus(samples: readonly Sample[], faultAt: number | undefined, now: number): string {
  const recent = samples.filter((s) => s.end >= now - 1000)
  const okPerSecond = recent.filter((s) => s.outcome === 'ok').length
  const parts = [`${okPerSecond} writes/s`]
  const last = samples.at(-1)
  if (last && last.outcome !== 'ok') {
    let i = samples.length - 1
    while (i > 0 && samples[i - 1]!.outcome !== 'ok') i--
    parts.push(`failing for ${formatMs(now - samples[i]!.start)}`)
  }
  if (faultAt !== undefined) parts.push(`${formatMs(now - faultAt)} since the fault`)
  return parts.join(', ')
}

function lastLine(text: string): string {
  return text.trim().split('\n').at(-1)?.slice(0, 200) ?? ''
}

export function describeStep(step: Step): string {
  switch (step.kind) {
    case 'sleep':
      return `sleep ${formatMs(step.sleep)}`
    case 'fault':
      if (step.fault === 'partition') return `partition ${describeGroups(step.groups!)}${step.direction === 'one-way' ? ' (one-way)' : ''}`
      if (step.fault === 'degrade') {
        const spec = describeDegrade({latencyMs: step.latency, jitterMs: step.jitter, lossPercent: step.loss, rate: step.rate})
        return `degrade ${describeSelector(step.target!)} ↔ ${step.peer ?? 'wan'}: ${spec}`
      }
      return `${step.fault}${step.fault === 'kill' || step.fault === 'process-kill' ? ` (${step.signal})` : ''} ${describeSelector(step.target!)}`
    case 'wait':
      return `wait until ${step.wait === 'role' ? `${step.role} on ${step.site}` : step.wait === 'command' ? `${step.argv!.join(' ')} succeeds` : step.wait} (at most ${formatMs(step.timeout)})`
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

