import type {WaitStep} from '../config/drill.js'
import {EngineUnavailableError, errorMessage} from '../errors.js'
import type {Sample} from '../model/sample.js'
import {waitHealthy} from '../topology/lifecycle.js'
import {observe} from '../topology/observe.js'
import {pollUntil, type Clock} from '../util/time.js'
import {runCommand} from './commands.js'
import type {StepContext, StepStatus} from './step-context.js'

/**
 * A fault that shows no effect counts as recovered once this long has passed since it was in place and
 * the probe's stable run began after that (every sample of it started under the fault).
 */
export const NO_IMPACT_GRACE_MS = 2000

export async function waitFor(step: WaitStep, ctx: StepContext, update: (message: string) => void): Promise<StepStatus> {
  switch (step.wait) {
    case 'healthy':
      try {
        await waitHealthy(ctx.topology, ctx.engine, {timeoutMs: step.timeout, clock: ctx.clock, signal: ctx.signal, leftDown: ctx.leftDown})
        return 'done'
      } catch (error) {
        // Not a timeout: the drill was stopped, or the engine is gone (waiting longer would not help).
        if (ctx.signal?.aborted || error instanceof EngineUnavailableError) throw error
        update(errorMessage(error).split('\n')[0] ?? '')
        return 'timed-out'
      }
    case 'recovered': {
      const faultAt = ctx.anchor.at ?? ctx.clock.now()
      const probes = ctx.probes ?? [{name: 'probe', samples: ctx.samples, stableSamples: ctx.stableSamples}]
      return waitRecovered(probes, faultAt, ctx.anchor.settled ?? faultAt, step.timeout, ctx.clock, ctx.signal, update)
    }
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
          const r = await runCommand({argv: step.argv, in: step.in, user: step.user, timeout: step.timeout}, ctx).catch((error: unknown) => {
            // A command that cannot run yet is polled again; an engine that is gone is not waited on.
            if (error instanceof EngineUnavailableError) throw error
            return {exitCode: -1, stdout: '', stderr: errorMessage(error)}
          })
          update(`${step.argv.join(' ')}: exit ${r.exitCode}`)
          return r.exitCode === 0 ? true : undefined
        },
        {timeoutMs: step.timeout, intervalMs: 500, clock: ctx.clock, signal: ctx.signal},
      )
      return ok ? 'done' : 'timed-out'
    }
  }
}

/**
 * Wait until every probe, after a failure following the disruption, shows a stable run of successes;
 * or, when none failed, a stable run that began once the disruption was in place (`settledAt`) and at
 * least NO_IMPACT_GRACE_MS after that. Counting the grace from `faultAt` instead, with the successes of
 * samples that started before the fault took effect, once declared "no impact" while the first affected
 * write was still in flight: a partition that took 1.35 s to apply was healed 2.3 s after it began,
 * before anyone could take over (the wan-degradation test's flake, 2026-12-01).
 */
export async function waitRecovered(
  probes: readonly {name: string; samples: readonly Sample[]; stableSamples: number}[],
  faultAt: number,
  settledAt: number,
  timeoutMs: number,
  clock: Clock,
  signal: AbortSignal | undefined,
  update: (message: string) => void,
): Promise<StepStatus> {
  const deadline = clock.now() + timeoutMs
  while (clock.now() < deadline) {
    const waiting: string[] = []
    for (const {name, samples, stableSamples: stable} of probes) {
      const after = samples.filter((s) => s.end >= faultAt)
      const firstBad = after.find((s) => s.outcome !== 'ok')
      const tail = after.slice(-stable)
      const stableNow = tail.length === stable && tail.every((s) => s.outcome === 'ok')
      const head = tail[0]
      if (stableNow && head && (firstBad ? head.start > firstBad.start : head.start >= settledAt && clock.now() - settledAt >= NO_IMPACT_GRACE_MS)) continue
      const what = firstBad ? `waiting for ${stable} successive acknowledged writes` : 'no failure seen yet'
      waiting.push(probes.length > 1 ? `${name}: ${what}` : what)
    }
    if (waiting.length === 0) return 'done'
    update(waiting.join('; '))
    await clock.sleep(50, signal)
  }
  return 'timed-out'
}
