import {execa} from 'execa'

import type {AssertStep, ManualStep, Place} from '../config/drill.js'
import {formatMs} from '../config/duration.js'
import {DrillAbortedError, EngineUnavailableError, errorMessage} from '../errors.js'
import type {ExecResult} from '../engine/engine.js'
import {describeSelector, selectTargets} from '../faults/targets.js'
import type {AssertOutcome} from '../model/objectives.js'
import {observe} from '../topology/observe.js'
import {markDisruption, type StepContext, type StepStatus} from './step-context.js'

// Steps that run commands: runbooks, asserts, manual steps (an operator confirms, or the ci action runs).

export async function runbookCommand(title: string, cmd: Parameters<typeof runCommand>[0], expectExit: number, index: number, ctx: StepContext): Promise<void> {
  const result = await runCommand(cmd, ctx)
  ctx.timeline.record('runbook', `runbook "${title}": exit ${result.exitCode}${result.stderr.trim() ? `; ${lastLine(result.stderr)}` : ''}`)
  if (result.exitCode !== expectExit) {
    throw new DrillAbortedError(`step ${index + 1}: runbook "${title}" exited ${result.exitCode} (expected ${expectExit}): ${lastLine(result.stderr || result.stdout)}`)
  }
}

/** An operator at a terminal confirms; nobody there, the step's ci command stands in. Who and when land on the timeline. */
export async function manual(step: ManualStep, index: number, ctx: StepContext, update: (message: string) => void): Promise<StepStatus> {
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

export async function checkAssert(step: AssertStep, ctx: StepContext): Promise<AssertOutcome> {
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
  const [target] = targets
  if (targets.length !== 1 || !target) {
    throw new DrillAbortedError(
      `${describeSelector(cmd.in)} must pick exactly one running container to run ${cmd.argv[0]} in; it picks ${targets.length}${targets.length > 0 ? ` (${targets.map((t) => t.instance.containerName).join(', ')})` : ''}`,
    )
  }
  return ctx.engine.exec(target.container.id, cmd.argv, {user: cmd.user, timeoutMs: cmd.timeout})
}

export function lastLine(text: string): string {
  return text.trim().split('\n').at(-1)?.slice(0, 200) ?? ''
}
