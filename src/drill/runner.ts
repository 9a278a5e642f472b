import type {LoadedDrill} from '../config/load-drill.js'
import type {Step} from '../config/drill.js'
import {formatMs} from '../config/duration.js'
import {DrillAbortedError, errorMessage} from '../errors.js'
import type {Engine, EngineInfo} from '../engine/engine.js'
import {describeSelector, selectTargets} from '../faults/targets.js'
import {killFault} from '../faults/kill.js'
import {grade, type Grade} from '../grade/grade.js'
import {measure, type Measurements} from '../measure/measure.js'
import {PostgresWriteProbe, type ProbeNode} from '../probes/postgres-write-probe.js'
import type {Sample} from '../probes/sample.js'
import {waitHealthy} from '../topology/lifecycle.js'
import {observe} from '../topology/observe.js'
import {type Progress, silentProgress} from '../util/progress.js'
import {systemClock, type Clock} from '../util/time.js'
import {RevertStack, type RevertOutcome} from './reverts.js'
import {Timeline, type TimelineEvent} from './timeline.js'

export interface RunContext {
  engine: Engine
  engineInfo: EngineInfo
  runId: string
  clock?: Clock
  progress?: Progress
  /** Aborted on Ctrl-C or SIGTERM: the runner stops injecting, reverts, and rethrows the reason. */
  signal?: AbortSignal
}

export interface StepRecord {
  index: number
  kind: Step['kind']
  description: string
  status: 'done' | 'timed-out' | 'skipped'
  started_ms?: number
  duration_ms?: number
}

export interface DrillResult {
  run_id: string
  drill: string
  drill_file: string
  drill_sha256: string
  topology: string
  topology_file: string
  topology_sha256: string
  verdict: Grade['verdict']
  objectives: {rto_ms: number | null; rpo_ms: number | null}
  results: Grade['results']
  measurements: Omit<Measurements, 'phases'>
  probe: {kind: string; service: string; interval_ms: number; timeout_ms: number; stable_samples: number; vantage: string; samples: number}
  started_at: string
  finished_at: string
  duration_ms: number
  engine: EngineInfo
  steps: StepRecord[]
  reverts: RevertOutcome[]
  timeline: TimelineEvent[]
  /** Left out of --json output for size; kept for evidence and reports. */
  samples?: Sample[]
}

const REVERT_TIMEOUT_MS = 30_000
const READ_BACK_TIMEOUT_MS = 30_000
/** A fault that shows no effect for this long counts as recovered once the probe is stable. */
const NO_IMPACT_GRACE_MS = 2000

/** Run one drill against a topology that is up and healthy; always reverts what it injected. */
export async function runDrill(loaded: LoadedDrill, ctx: RunContext): Promise<DrillResult> {
  const {drill, topology} = loaded
  const clock = ctx.clock ?? systemClock
  const progress = ctx.progress ?? silentProgress
  const engine = ctx.engine
  const timeline = new Timeline(clock)
  const reverts = new RevertStack()
  const steps: StepRecord[] = drill.steps.map((s, index) => ({index, kind: s.kind, description: describeStep(s), status: 'skipped'}))
  let faultAt: number | undefined
  let readBack: Set<number> | undefined
  let revertOutcomes: RevertOutcome[] = []
  timeline.record('run-start', `drill ${drill.name} on topology ${topology.project} (run ${ctx.runId})`)

  const resolveNodes = async (): Promise<ProbeNode[]> => {
    const seen = await observe(topology, engine)
    return seen.instances
      .filter((o) => o.instance.service === drill.probe.service && o.address)
      .map((o) => ({name: o.instance.hostname, address: o.address!}))
  }
  const probe = new PostgresWriteProbe(drill.probe, ctx.runId, resolveNodes, clock)

  try {
    await progress.phase(`Start ${drill.probe.kind} probe on ${drill.probe.service} every ${formatMs(drill.probe.interval)}`, () => probe.start())
    timeline.record('probe-start', `${drill.probe.kind} on ${drill.probe.service}, interval ${drill.probe.interval} ms, vantage ${drill.probe.vantage}`)

    for (const [index, step] of drill.steps.entries()) {
      ctx.signal?.throwIfAborted()
      const record = steps[index]!
      const title = `Step ${index + 1}/${drill.steps.length}: ${record.description}`
      const started = clock.now()
      record.started_ms = timeline.relative(started)
      timeline.record('step', title, started)
      const outcome = await progress.phase(title, async (update) => {
        switch (step.kind) {
          case 'sleep':
            await clock.sleep(step.sleep, ctx.signal)
            return 'done' as const
          case 'fault': {
            const seen = await observe(topology, engine)
            const targets = selectTargets(step.target, seen.instances)
            if (targets.length === 0) {
              throw new DrillAbortedError(`step ${index + 1}: no running container matches ${describeSelector(step.target)} now`)
            }
            const fault = killFault(engine, targets.map((t) => ({id: t.container!.id, name: t.container!.name})), step.signal)
            update(fault.description)
            const at = timeline.record('fault', fault.description)
            faultAt = at
            const revert = await fault.inject()
            timeline.record('fault-done', `${fault.description}: engine call returned`)
            if (step.revert) reverts.push(revert)
            return 'done' as const
          }
          case 'wait':
            if (step.wait === 'healthy') {
              await waitHealthy(topology, engine, {timeoutMs: step.timeout, clock, signal: ctx.signal})
              return 'done' as const
            }
            return waitRecovered(probe.samples, faultAt ?? started, drill.probe.stable_samples, step.timeout, clock, ctx.signal, update)
        }
      })
      record.status = outcome
      record.duration_ms = Math.round(clock.now() - started)
      if (outcome === 'timed-out') {
        timeline.record('wait-timeout', `${title}: not met within ${formatMs(step.kind === 'wait' ? step.timeout : 0)}; remaining steps skipped`)
        break
      }
    }
  } finally {
    await probe.stop().catch(() => {})
    timeline.record('probe-stop', `${probe.samples.length} samples`)
    if (!ctx.signal?.aborted && probe.samples.length > 0) {
      try {
        const back = await progress.phase('Read back every write from the primary', () => probe.readBack(READ_BACK_TIMEOUT_MS))
        if (back) {
          readBack = back.seqs
          timeline.record('read-back', `${back.seqs.size} rows read back from ${back.node}`)
        } else {
          timeline.record('read-back', 'no node accepted the read-back')
        }
      } catch (error) {
        timeline.record('read-back', `read-back failed: ${errorMessage(error)}`)
      }
    }
    await probe.close()
    if (reverts.size > 0) {
      revertOutcomes = await progress.phase(`Revert ${reverts.size} fault(s)`, () =>
        reverts.unwind(REVERT_TIMEOUT_MS, (o) => timeline.record(o.ok ? 'revert' : 'revert-failed', o.ok ? o.description : `${o.description}: ${o.error}`)),
      )
      if (!ctx.signal?.aborted) {
        await waitHealthy(topology, engine, {timeoutMs: topology.upTimeoutMs, clock, progress, signal: ctx.signal}).catch((error) =>
          timeline.record('revert-failed', `topology not healthy again after reverting: ${errorMessage(error)}`),
        )
      }
    }
  }

  const finished = clock.now()
  timeline.record('run-end', 'drill finished', finished)
  if (faultAt === undefined) throw new DrillAbortedError(`drill ${drill.name} injected no fault, so there is nothing to measure`)
  const m = measure({samples: probe.samples, faultAt, readBack, stableSamples: drill.probe.stable_samples, intervalMs: drill.probe.interval})
  for (const p of m.phases) timeline.record(p.kind, p.detail, p.t)
  const g = grade(drill.objectives, m)
  const {phases: _phases, ...measurements} = m
  return {
    run_id: ctx.runId,
    drill: drill.name,
    drill_file: drill.file,
    drill_sha256: drill.sha256,
    topology: topology.project,
    topology_file: topology.file,
    topology_sha256: topology.sha256,
    verdict: g.verdict,
    objectives: {rto_ms: drill.objectives.rtoMs ?? null, rpo_ms: drill.objectives.rpoMs ?? null},
    results: g.results,
    measurements,
    probe: {
      kind: drill.probe.kind,
      service: drill.probe.service,
      interval_ms: drill.probe.interval,
      timeout_ms: drill.probe.timeout,
      stable_samples: drill.probe.stable_samples,
      vantage: drill.probe.vantage,
      samples: probe.samples.length,
    },
    started_at: clock.wall(timeline.origin),
    finished_at: clock.wall(finished),
    duration_ms: Math.round(finished - timeline.origin),
    engine: ctx.engineInfo,
    steps,
    reverts: revertOutcomes,
    timeline: timeline.list(),
    samples: probe.samples.map((s) => ({...s, start: timeline.relative(s.start), end: timeline.relative(s.end)})),
  }
}

/** Wait until the probe, after a failure following the fault, shows a stable run of successes. */
async function waitRecovered(
  samples: readonly Sample[],
  faultAt: number,
  stable: number,
  timeoutMs: number,
  clock: Clock,
  signal: AbortSignal | undefined,
  update: (message: string) => void,
): Promise<'done' | 'timed-out'> {
  const deadline = clock.now() + timeoutMs
  while (clock.now() < deadline) {
    const after = samples.filter((s) => s.end >= faultAt)
    const firstBad = after.find((s) => s.outcome !== 'ok')
    const tail = after.slice(-stable)
    const stableNow = tail.length === stable && tail.every((s) => s.outcome === 'ok')
    if (stableNow && (firstBad ? tail[0]!.start > firstBad.start : clock.now() - faultAt >= NO_IMPACT_GRACE_MS)) return 'done'
    const since = clock.now() - faultAt
    const last = after.at(-1)
    update(
      firstBad
        ? `failing since ${formatMs(clock.now() - firstBad.start)}; ${formatMs(since)} since the fault; last sample ${last?.outcome ?? 'none'}`
        : `${formatMs(since)} since the fault; no failure seen yet`,
    )
    await clock.sleep(50, signal)
  }
  return 'timed-out'
}

function describeStep(step: Step): string {
  switch (step.kind) {
    case 'sleep':
      return `sleep ${formatMs(step.sleep)}`
    case 'fault':
      return `${step.fault} (${step.signal}) ${describeSelector(step.target)}`
    case 'wait':
      return `wait until ${step.wait} (at most ${formatMs(step.timeout)})`
  }
}
