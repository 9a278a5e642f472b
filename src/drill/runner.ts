import type {DrillProbe, LoadedDrill} from '../config/load-drill.js'
import {NETWORK_FAULTS} from '../config/drill.js'
import {specCapabilities} from '../config/probe-kinds.js'
import {describeDeadline} from '../config/deadline.js'
import {formatMs} from '../config/duration.js'
import {DeadlineExceededError, DrillAbortedError, EngineLostError, EngineUnavailableError, errorMessage, FiredrillError, InterruptedError} from '../errors.js'
import type {Engine} from '../engine/engine.js'
import {NetHelpers} from '../faults/net-helper.js'
import {grade, notMeasured} from '../grade/grade.js'
import {measure, splitBrain, unmeasured} from '../measure/measure.js'
import {summarizeLag} from '../measure/replication-lag.js'
import type {LagWatcher, Probe, ProbeContext, ProbeExecPlace, ProbeExecResult, ProbeNode, SplitBrainWatcher} from '../probes/probe.js'
import {probeKind} from '../probes/registry.js'
import {waitHealthy} from '../topology/lifecycle.js'
import {networkName} from '../model/topology.js'
import {observe} from '../topology/observe.js'
import {reachTarget, reachThrough, relayConnectTimes, relayStopped} from '../topology/relay.js'
import {routeRecord, withRelay} from '../measure/relay.js'
import {type Progress, silentProgress} from '../util/progress.js'
import {MAX_TIMER_MS, systemClock, type Clock} from '../util/time.js'
import {watchEngine} from './engine-watch.js'
import {Journal, type JournalEntry} from './journal.js'
import {RevertStack} from './reverts.js'
import {describeStep, liveStatus, runStep, type Operator, type StepContext} from './steps.js'
import {Timeline} from './timeline.js'
import type {DrillResult, EngineInfo, ProbeOutcome, ProbeRecord, RouteRecord, StepRecord} from '../model/result.js'
import type {ObjectiveResult, Objectives} from '../model/objectives.js'
import {runCommand} from './commands.js'
import type {RevertOutcome} from '../model/revert.js'

export type {DrillResult, StepRecord} from '../model/result.js'

export interface RunContext {
  engine: Engine
  engineInfo: EngineInfo
  runId: string
  clock?: Clock
  progress?: Progress
  /** Aborted on Ctrl-C or SIGTERM: the runner stops injecting, reverts, and rethrows the reason. The drill's deadline does the same. */
  signal?: AbortSignal
  /** The person at the terminal who confirms manual steps; absent in CI. */
  operator?: Operator
  /** Where the crash journal goes (default: the state directory). */
  journalDir?: string
}



const REVERT_TIMEOUT_MS = 30_000
const READ_BACK_TIMEOUT_MS = 30_000
const PRE_REVERT_READ_BACK_TIMEOUT_MS = 5000
/** How long the probe may take to ask every node whether it accepts writes, once the drill is over. */
const WRITERS_TIMEOUT_MS = 5000

/** One probe of a run: its name and spec, its objectives, its probe and the watches its objectives asked for. */
interface RunProbe extends DrillProbe {
  probe: Probe
  watch?: SplitBrainWatcher
  lagWatch?: LagWatcher
}

/** One run in progress: what its phases share. */
interface Run {
  loaded: LoadedDrill
  ctx: RunContext
  clock: Clock
  progress: Progress
  engine: Engine
  /** Whether the latest engine call found the engine gone (reverts and waits swallow its errors). */
  engineLost: () => EngineUnavailableError | undefined
  timeline: Timeline
  reverts: RevertStack
  steps: StepRecord[]
  /** Every probe of the drill, in the order written; they share the clock and t_fault. */
  probes: RunProbe[]
  /** The first probe's (the only one of a one-probe drill). */
  probe: Probe
  netHelpers: NetHelpers
  journal: Journal
  stepContext: StepContext
  /** Ctrl-C, SIGTERM or the drill's deadline. */
  signal: AbortSignal
  /** How the probes reach the containers, and what the relay adds to each sample (set as the run starts). */
  route?: RouteRecord
}

/**
 * Run one drill against a topology that is up and healthy; always reverts what it injected.
 * Phases: start (probe, watches, network helpers), the steps, the abort handling and unwinding
 * (reverts, the crash journal, the engine lost), the read-back, and the result.
 */
export async function runDrill(loaded: LoadedDrill, ctx: RunContext): Promise<DrillResult> {
  const {drill, topology} = loaded
  const clock = ctx.clock ?? systemClock
  // Past the deadline the steps stop exactly as on Ctrl-C (the same signal, a reason of its own); the
  // reverts, the read-back and the evidence come after, each with its own bound.
  const overrun = new AbortController()
  const signal = ctx.signal ? AbortSignal.any([ctx.signal, overrun.signal]) : overrun.signal
  const run = prepare(loaded, ctx, clock, signal)
  run.timeline.record('run-start', `drill ${drill.name} on topology ${topology.project} (run ${ctx.runId}); ${describeDeadline(drill.deadline)}`)
  const position = {during: 'while starting, before its first step'}
  const disarm = armDeadline(run, overrun, position)

  // Whatever ends the steps early (Ctrl-C, SIGTERM, the engine gone, a step that cannot be done), the
  // faults are undone first; the run is then recorded as interrupted or aborted, with no figures.
  let failure: unknown
  let readBacks: (Set<number> | undefined)[] = []
  let writers: (string[] | undefined)[] = []
  try {
    await start(run)
    await runSteps(run, position)
  } catch (error) {
    // A step cut short by Ctrl-C or the deadline may fail in its own way; the reason is what ended it.
    failure = signal.aborted ? signal.reason : error
  } finally {
    disarm.abort()
    const unwound = await unwind(run, failure)
    failure = unwound.failure
    // The probes saw the containers through the relay: with the relay gone, what they saw says nothing about the system.
    if (failure === undefined && !unwound.lostEngine && run.route?.via === 'relay') {
      const why = await relayStopped(run.engine, run.route.relay!)
      if (why) failure = new DrillAbortedError(`drill ${drill.name} aborted: ${why}`)
    }
    if (!signal.aborted && !unwound.lostEngine) {
      readBacks = await readBackAfter(run, unwound.before)
      writers = await Promise.all(run.probes.map((p) => writersAtEnd(run, p)))
    }
    await Promise.all(run.probes.map((p) => p.probe.close()))
  }
  return result(run, failure, readBacks, writers)
}

/** Connects timed through the relay and to it, for the median of each. */
const RELAY_TRIALS = 15

/** How the runner reaches the containers now, timed when it is through the relay (the timestamps stay on the runner's clock). */
async function timeRoute(run: Run): Promise<RouteRecord> {
  const {topology} = run.loaded
  const seen = await observe(topology, run.engine)
  if (seen.route.via.kind === 'none') throw new EngineUnavailableError(`the runner cannot reach the topology's containers: ${seen.route.via.why}`)
  if (seen.route.via.kind === 'direct') return routeRecord(seen.route.via)
  const target = reachTarget(topology, seen.instances.flatMap((o) => (o.container ? [o.container] : [])))
  const times = target ? await run.progress.phase('Time the relay', () => relayConnectTimes(seen.route, target, RELAY_TRIALS)) : undefined
  return routeRecord(seen.route.via, times)
}

/** Everything a run needs before it starts: the timeline, the probe and its watches from the probe's kind, the journal. */
function prepare(loaded: LoadedDrill, ctx: RunContext, clock: Clock, signal: AbortSignal): Run {
  const {drill, topology} = loaded
  const engineWatch = watchEngine(ctx.engine)
  const engine = engineWatch.engine
  const timeline = new Timeline(clock)
  const reverts = new RevertStack()
  // Each probe's kind (src/probes/registry.ts) makes its probe and, when its objectives ask, its watches.
  // The write probe stands on the WAN; the split-brain watch stands inside each node's own site.
  // Where a probe sends (every sample, for some kinds): containers and addresses, never the cluster's roles.
  const instances = async (service: string, vantage: 'wan' | 'site'): Promise<ProbeNode[]> => {
    const seen = await observe(topology, engine, {roles: false})
    return seen.instances
      .filter((o) => o.instance.service === service && o.container)
      .flatMap((o): (ProbeNode & {site: string})[] => {
        const address = vantage === 'wan' ? o.address : o.container?.addresses[networkName(topology.project, o.instance.site)]
        // Reached as the topology's route says: directly, or through its relay (on every network, so either vantage).
        return address === undefined ? [] : [{name: o.instance.hostname, site: o.instance.site, address, reach: reachThrough(seen.route, address)}]
      })
  }
  const probes: RunProbe[] = drill.probes.map((p) => {
    const kind = probeKind(p.spec.kind)
    const probeContext: ProbeContext = {
      name: p.name,
      runId: ctx.runId,
      clock,
      nodes: (vantage) => instances(p.spec.service, vantage),
      instances,
      exec: (argv, where, timeoutMs, abort) => probeExec({topology, engine, signal: abort ?? signal}, argv, where, timeoutMs),
    }
    const lag = drill.replicationLag?.probe === p.name ? drill.replicationLag : undefined
    return {
      ...p,
      probe: kind.create(p.spec, probeContext),
      watch: p.objectives.splitBrain === false ? kind.splitBrainWatch?.(p.spec, probeContext) : undefined,
      lagWatch: lag ? kind.replicationLagWatch?.(p.spec, {standbys: lag.standbys, intervalMs: lag.intervalMs}, probeContext) : undefined,
    }
  })
  const first = probes[0]!
  const netHelpers = new NetHelpers(engine, {project: topology.project, runId: ctx.runId})
  const journal = Journal.begin(topology.project, ctx.runId, {dir: ctx.journalDir, copyOf: topology.copyOf, topologyFile: topology.file})
  const stepContext: StepContext = {
    topology,
    engine,
    clock,
    timeline,
    reverts,
    samples: first.probe.samples,
    stableSamples: first.spec.stable_samples,
    probes: probes.map((p) => ({name: p.name, samples: p.probe.samples, stableSamples: p.spec.stable_samples})),
    signal,
    anchor: {},
    asserts: [],
    revertOutcomes: [],
    operator: ctx.operator,
    stepCount: drill.steps.length,
    netHelpers,
    faults: [],
    leftDown: new Set(),
    journal,
  }
  return {
    loaded,
    ctx,
    clock,
    progress: ctx.progress ?? silentProgress,
    engine,
    engineLost: engineWatch.lost,
    timeline,
    reverts,
    steps: drill.steps.map((s, index) => ({index, kind: s.kind, description: describeStep(s), status: 'skipped'})),
    probes,
    probe: first.probe,
    netHelpers,
    journal,
    stepContext,
    signal,
  }
}

/** Abort the steps, as Ctrl-C does, once the drill's deadline passes; abort the returned controller to disarm it. */
function armDeadline(run: Run, overrun: AbortController, position: {during: string}): AbortController {
  const {drill} = run.loaded
  const disarm = new AbortController()
  // A timer longer than about 24.8 days would fire at once; such a deadline is as good as none.
  if (drill.deadline.ms <= MAX_TIMER_MS) {
    void run.clock.sleep(drill.deadline.ms, disarm.signal).then(
      () =>
        overrun.abort(
          new DeadlineExceededError(`drill ${drill.name} passed its ${describeDeadline(drill.deadline)} ${position.during}: the steps were stopped and nothing was measured`, [
            'give it more time (deadline: in the drill, or run --deadline), or see on the timeline of its evidence which step took so long',
          ]),
        ),
      () => {},
    )
  }
  return disarm
}

/** Heal what a crashed run left, prepare network faults, start the probe and its watches. */
async function start(run: Run): Promise<void> {
  const {drill} = run.loaded
  const {timeline, progress, netHelpers} = run
  // A run that crashed mid-fault may have left network faults in place: undo them before measuring anything.
  const healed = await netHelpers.healLeftovers()
  if (healed.length > 0) timeline.record('revert', `network faults left by an earlier run: ${healed.join('; ')}`)
  const netFaults = drill.steps.filter((s) => s.kind === 'fault' && NETWORK_FAULTS.includes(s.fault))
  if (netFaults.length > 0) {
    // Before anything runs: the helper image is there, and (for degrade) which mechanism this kernel offers.
    await progress.phase('Prepare network faults', async (update) => {
      await netHelpers.requireImage()
      if (netFaults.some((s) => s.kind === 'fault' && s.fault === 'degrade')) {
        const mechanism = await netHelpers.mechanism()
        update(`degrade uses ${mechanism === 'netem' ? 'tc netem' : 'NFQUEUE + firedrill-delayer (no netem in this kernel)'}`)
        timeline.record('step', `network faults: degrade uses ${mechanism === 'netem' ? 'tc netem' : 'the NFQUEUE fallback (firedrill-delayer, iptables statistic, htb): this kernel has no netem'}`)
      }
    })
  }
  run.route = await timeRoute(run)
  if (run.route.via === 'relay') {
    const r = run.route
    timeline.record(
      'step',
      `probes reach the containers through the relay ${r.relay} on ${r.host}: a connect through it takes ${r.connect_ms ?? '?'} ms, the relay adds ${r.added_ms ?? '?'} ms (medians of ${r.trials}); every resolution includes it`,
    )
  }
  for (const p of run.probes) {
    const label = drill.named ? `probe ${p.name}: ` : ''
    await progress.phase(`Start ${label}${p.spec.kind} probe on ${p.spec.service} every ${formatMs(p.spec.interval)}`, async () => {
      await p.probe.start()
      await p.watch?.start()
      p.lagWatch?.start()
    })
    timeline.record(
      'probe-start',
      `${label}${p.spec.kind} on ${p.spec.service}, interval ${p.spec.interval} ms, vantage ${p.spec.vantage}${p.watch ? '; split-brain watch on every node from inside its site' : ''}`,
    )
  }
}

class NotMet extends Error {}

/** Every step in order, each on the timeline and in its record; a wait not met in time skips the rest. */
async function runSteps(run: Run, position: {during: string}): Promise<void> {
  const {drill} = run.loaded
  const {clock, timeline, progress, signal, stepContext} = run
  for (const [index, step] of drill.steps.entries()) {
    signal.throwIfAborted()
    const record = run.steps[index]
    if (!record) break
    const title = `Step ${index + 1}/${drill.steps.length}: ${record.description}`
    position.during = `during step ${index + 1}/${drill.steps.length} (${record.description})`
    const started = clock.now()
    record.started_ms = timeline.relative(started)
    timeline.record('step', title, started)
    // An operator answering a manual step needs the terminal to themselves, not a progress display redrawing over it.
    const outcome =
      step.kind === 'manual' && run.ctx.operator
        ? await runStep(step, index, stepContext, progress.log)
        : await progress.phase(title, async (update) => {
            // Every step shows the live state next to its own news; a step with no news of its own (a sleep) shows it alone.
            const live = () =>
              drill.named
                ? run.probes.map((p) => `${p.name} ${liveStatus(p.probe.samples, stepContext.anchor.at, clock.now(), specCapabilities(p.spec)?.rpo === true)}`).join(' · ')
                : liveStatus(run.probe.samples, stepContext.anchor.at, clock.now(), specCapabilities(run.probes[0]!.spec)?.rpo === true)
            let news = ''
            const show = () => update(news ? `${news} · ${live()}` : live())
            const ticker = setInterval(show, 500)
            try {
              const status = await runStep(step, index, stepContext, (message) => {
                news = message
                show()
              })
              // A wait not met in time is a failed phase on the progress (✖), not a done one.
              if (status === 'timed-out') throw new NotMet()
              return status
            } finally {
              clearInterval(ticker)
            }
          }).catch((error: unknown) => {
            if (error instanceof NotMet) return 'timed-out' as const
            throw error
          })
    record.status = outcome
    record.duration_ms = Math.round(clock.now() - started)
    if (outcome === 'timed-out') {
      timeline.record('wait-timeout', `${title}: not met in time; remaining steps skipped`)
      progress.log(`${step.kind === 'manual' && run.ctx.operator ? '✖ ' : '  '}${title}: not met in time; the remaining steps are skipped and the drill fails`)
      break
    }
  }
  // A step that cannot be cut short (a command in a container) may have finished after the signal.
  signal.throwIfAborted()
}

type ReadBack = {node: string; seqs: Set<number>}

/**
 * Abort handling and unwinding, whatever ended the steps: stop the probe and its watches, read back
 * once before undoing anything (the fallback if the topology does not come back), revert every fault,
 * close the journal, and decide what the failure is (the engine lost, faults left in place).
 */
async function unwind(run: Run, failure: unknown): Promise<{failure: unknown; lostEngine: EngineUnavailableError | undefined; before: (ReadBack | undefined)[]}> {
  const {drill, topology} = run.loaded
  const {timeline, progress, reverts, signal, stepContext} = run
  for (const p of run.probes) {
    const label = drill.named ? `probe ${p.name}: ` : ''
    await p.probe.stop().catch(() => {})
    await p.watch?.stop().catch(() => {})
    await p.lagWatch?.stop().catch(() => {})
    if (p.lagWatch) {
      const errors = p.lagWatch.errors.length > 0 ? `; ${p.lagWatch.errors.length} failed reading(s), first: ${p.lagWatch.errors[0]}` : ''
      timeline.record('probe-stop', `${label}replication lag watch: ${p.lagWatch.samples.length} readings of ${drill.replicationLag?.standbys.join(', ')}${errors}`)
    }
    timeline.record('probe-stop', `${label}${p.probe.samples.length} samples`)
  }
  // Read back once before undoing anything (the fallback if the topology does not come back), and
  // again once it is healthy: writes lost while healing (a failback) are lost all the same.
  const before: (ReadBack | undefined)[] = []
  for (const {probe, spec} of run.probes) {
    before.push(
      probe.readBack && specCapabilities(spec)?.rpo && !signal.aborted && !run.engineLost() && probe.samples.length > 0 && reverts.size > 0
        ? await probe.readBack(PRE_REVERT_READ_BACK_TIMEOUT_MS).catch(() => undefined)
        : undefined,
    )
  }
  if (reverts.size > 0) {
    const outcomes: RevertOutcome[] = []
    // A revert that failed fails the phase, so the display never shows a tick over a fault left in place.
    await progress
      .phase(`Revert ${reverts.size} fault(s)`, async () => {
        outcomes.push(...(await reverts.unwind(REVERT_TIMEOUT_MS, (o) => timeline.record(o.ok ? 'revert' : 'revert-failed', o.ok ? o.description : `${o.description}: ${o.error}`))))
        const failed = outcomes.filter((o) => !o.ok)
        if (failed.length > 0) throw new Error(`${failed.length} of ${outcomes.length} not reverted: ${failed.map((o) => `${o.description}: ${o.error}`).join('; ')}`)
      })
      .catch(() => {})
    stepContext.revertOutcomes.push(...outcomes)
  }
  const left = run.journal.finish()
  if (left.length > 0) {
    timeline.record('revert-failed', `${left.length} fault(s) not undone; the journal is kept, and firedrill cleanup --project ${topology.project} restores them`)
  }
  // The engine lost mid-drill (the steps failed on it, or it is gone now): nothing is measured, and what
  // could not be reverted is named with the command that restores it.
  const lostEngine = failure instanceof EngineUnavailableError ? failure : run.engineLost()
  if (lostEngine && !(failure instanceof InterruptedError)) {
    timeline.record('revert-failed', `the Docker engine was lost: ${errorMessage(lostEngine)}`)
    failure = engineLost(lostEngine, left, topology.project)
  } else if (failure instanceof InterruptedError && left.length > 0) {
    // Not "what the command had changed was undone": say what was not.
    failure.message = `interrupted by ${failure.signal}; ${leftInPlace(left, topology.project)}`
  } else if (failure instanceof FiredrillError && left.length > 0) {
    failure.message += `\n${leftInPlace(left, topology.project)}`
  }
  return {failure, lostEngine, before}
}

/**
 * Once the topology is healthy again, every write each probe made, read the way its users would; the
 * read before the reverts stands in when none is possible now. Undefined for a probe whose kind cannot
 * read back (no `rpo` capability) or when nothing answered: its lost writes and RPO are then unknown.
 */
async function readBackAfter(run: Run, before: (ReadBack | undefined)[]): Promise<(Set<number> | undefined)[]> {
  const {topology, drill} = run.loaded
  const {timeline, progress, clock, signal} = run
  await waitHealthy(topology, run.engine, {timeoutMs: topology.upTimeoutMs, clock, progress, signal, leftDown: run.stepContext.leftDown}).catch((error) =>
    timeline.record('revert-failed', `topology not healthy again after the drill: ${errorMessage(error)}`),
  )
  const out: (Set<number> | undefined)[] = []
  for (const [i, p] of run.probes.entries()) {
    out.push(await readBackOne(run, p, before[i], drill.named ? `probe ${p.name}: ` : ''))
  }
  return out
}

async function readBackOne(run: Run, p: RunProbe, before: ReadBack | undefined, label: string): Promise<Set<number> | undefined> {
  const {timeline, progress} = run
  const {probe} = p
  // A kind that can read back, written so that it does not (an http probe without write + read), is not asked.
  const readBackNow = specCapabilities(p.spec)?.rpo ? probe.readBack?.bind(probe) : undefined
  if (!readBackNow || probe.samples.length === 0) return undefined
  let after: ReadBack | undefined
  try {
    after = await progress.phase(label ? `Read back every write of probe ${p.name}` : 'Read back every write from the primary', () => readBackNow(READ_BACK_TIMEOUT_MS))
  } catch (error) {
    timeline.record('read-back', `${label}read-back failed: ${errorMessage(error)}`)
  }
  if (after) {
    const seqs = after.seqs
    const gone = before ? [...before.seqs].filter((seq) => !seqs.has(seq)).length : 0
    timeline.record('read-back', `${label}${after.seqs.size} rows read back from ${after.node}${gone > 0 && before ? `; ${gone} rows that ${before.node} held before the faults were reverted are gone` : ''}`)
    return after.seqs
  }
  if (before) {
    timeline.record('read-back', `${label}${before.seqs.size} rows read back from ${before.node} before the faults were reverted (no node took writes afterwards)`)
    return before.seqs
  }
  timeline.record('read-back', `${label}no node accepted the read-back`)
  return undefined
}

/**
 * The nodes accepting writes once the drill is over, when the probe's kind can tell (Probe.writableNodes):
 * two or more are named on the timeline and in the verdict, whatever the objectives.
 */
async function writersAtEnd(run: Run, p: RunProbe): Promise<string[] | undefined> {
  const ask = p.probe.writableNodes?.bind(p.probe)
  if (!ask || p.probe.samples.length === 0) return undefined
  const writers = await ask(WRITERS_TIMEOUT_MS).catch(() => undefined)
  const label = run.loaded.drill.named ? `probe ${p.name}: ` : ''
  if (writers && writers.length > 1) run.timeline.record('split-brain', `${label}${writers.length} nodes accept writes at the end of the drill: ${writers.join(', ')}`)
  return writers
}

/** The result: measured and graded when the run completed; otherwise the partial result kept with the error, which is thrown. */
function result(run: Run, failure: unknown, readBacks: (Set<number> | undefined)[], writers: (string[] | undefined)[] = []): DrillResult {
  const {drill, topology} = run.loaded
  const {clock, timeline, stepContext, steps} = run
  const finished = clock.now()
  const faultAt = stepContext.anchor.at
  const record = (p: RunProbe): ProbeRecord => ({
    kind: p.spec.kind,
    service: p.spec.service,
    interval_ms: p.spec.interval,
    timeout_ms: p.spec.timeout,
    stable_samples: p.spec.stable_samples,
    vantage: p.spec.vantage,
    samples: p.probe.samples.length,
  })
  const objectivesOf = (o: Objectives) => ({rto_ms: o.rtoMs ?? null, rpo_ms: o.rpoMs ?? null, split_brain: o.splitBrain ?? null})
  const first = run.probes[0]!
  const base = {
    run_id: run.ctx.runId,
    drill: drill.name,
    drill_file: drill.file,
    drill_sha256: drill.sha256,
    topology: topology.project,
    topology_file: topology.file,
    topology_sha256: topology.sha256,
    objectives: objectivesOf(first.objectives),
    objectives_from: drill.objectivesFrom ?? null,
    faults: stepContext.faults ?? [],
    probe: record(first),
    engine: run.ctx.engineInfo,
    ...(run.route ? {route: run.route} : {}),
    steps,
    reverts: stepContext.revertOutcomes,
  }
  const times = () => ({
    started_at: clock.wall(timeline.origin),
    finished_at: clock.wall(finished),
    duration_ms: Math.round(finished - timeline.origin),
  })
  const samplesOf = (p: RunProbe) => p.probe.samples.map((s) => ({...s, start: timeline.relative(s.start), end: timeline.relative(s.end)}))
  // In a drill with named probes each objective says whose it is.
  const named = (p: RunProbe, results: ObjectiveResult[]): ObjectiveResult[] => (drill.named ? results.map((r) => ({...r, objective: `${p.name}: ${r.objective}`, probe: p.name})) : results)
  if (failure !== undefined || faultAt === undefined) {
    // What ended it early is the reason; one that is not firedrill's own (a probe that found no primary,
    // an engine call that failed) makes the run aborted (exit 4), not an internal error.
    const error =
      failure === undefined
        ? new DrillAbortedError(`drill ${drill.name} injected no fault and ran no disruptive runbook, so there is nothing to measure`)
        : failure instanceof FiredrillError
          ? failure
          : new DrillAbortedError(`drill ${drill.name} aborted: ${errorMessage(failure)}`, [], {cause: failure})
    const status = error instanceof InterruptedError ? 'interrupted' : 'aborted'
    timeline.record('run-end', `drill ${status}: ${errorMessage(error).split('\n')[0]}`, finished)
    const reason = `not measured: the run was ${status} (${errorMessage(error).split('\n')[0]})`
    const outcomes: ProbeOutcome[] = run.probes.map((p) => ({
      name: p.name,
      probe: record(p),
      objectives: objectivesOf(p.objectives),
      verdict: 'fail',
      results: named(p, notMeasured(p.objectives, reason)),
      measurements: {...unmeasured(p.probe.samples, withRelay(p.probe.resolutionMs ?? p.spec.interval, run.route)), split_brain: null, replication_lag: null},
      samples: samplesOf(p),
    }))
    const partial: DrillResult = {
      ...base,
      verdict: 'fail',
      status,
      error: errorMessage(error),
      results: outcomes.flatMap((o) => o.results),
      measurements: outcomes[0]!.measurements,
      probes: outcomes,
      ...times(),
      timeline: timeline.list(),
      samples: outcomes[0]!.samples,
    }
    if (typeof error === 'object' && error !== null) PARTIAL_RESULTS.set(error, partial)
    throw error
  }
  timeline.record('run-end', 'drill finished', finished)
  const unfinished = steps
    .filter((s) => s.status === 'timed-out')
    .map((s) => ({title: `step ${s.index + 1}`, reason: `${s.description}: not met in time; the steps after it were skipped`}))
  const measured = run.probes.map((p, i) => measure({samples: p.probe.samples, faultAt, readBack: readBacks[i], stableSamples: p.spec.stable_samples, intervalMs: withRelay(p.probe.resolutionMs ?? p.spec.interval, run.route)}))
  const outcomes: ProbeOutcome[] = run.probes.map((p, i) => {
    const label = drill.named ? `probe ${p.name}: ` : ''
    const m = measured[i]!
    for (const ph of m.phases) timeline.record(ph.kind, `${label}${ph.detail}`, ph.t)
    const sb = p.watch ? splitBrain(p.watch.acks, p.spec.interval) : undefined
    if (sb && sb.first_at !== null) timeline.record('split-brain', `${label}${sb.nodes.join(' and ')} acknowledged writes in the same period`, sb.first_at)
    const g = grade(p.objectives, m, {splitBrain: sb, writersAtEnd: writers[i]})
    const {phases: _phases, ...measurements} = m
    return {
      name: p.name,
      probe: record(p),
      objectives: objectivesOf(p.objectives),
      verdict: g.verdict,
      results: named(p, g.results),
      measurements: {
        ...measurements,
        split_brain: sb ? {...sb, first_at: sb.first_at === null ? null : timeline.relative(sb.first_at)} : null,
        replication_lag: p.lagWatch && drill.replicationLag ? summarizeLag(p.lagWatch.samples, drill.replicationLag.standbys, faultAt, stepContext.healedAt) : null,
      },
      samples: samplesOf(p),
    }
  })
  // Asserts and steps not finished belong to the drill, not to a probe; the drill passes when every probe met every objective.
  const drillWide = grade({}, measured[0]!, {asserts: stepContext.asserts, unfinished})
  const results = [...outcomes.flatMap((o) => o.results), ...drillWide.results]
  return {
    ...base,
    verdict: results.every((r) => r.met) ? 'pass' : 'fail',
    status: 'completed',
    error: null,
    results,
    measurements: outcomes[0]!.measurements,
    probes: outcomes,
    ...times(),
    timeline: timeline.list(),
    samples: outcomes[0]!.samples,
  }
}

/** Run a probe's argv on the host or in the one container `where` picks now (the `command` probe kind). */
async function probeExec(
  ctx: Pick<StepContext, 'topology' | 'engine' | 'signal'>,
  argv: readonly string[],
  where: ProbeExecPlace,
  timeoutMs: number,
): Promise<ProbeExecResult> {
  const started = Date.now()
  const r = await runCommand({argv: [...argv], in: where, timeout: timeoutMs}, ctx)
  // execa and the engine both end a command at its timeout; a command that ran that long did not answer in time.
  const timedOut = r.exitCode === -1 || (r.exitCode !== 0 && Date.now() - started >= timeoutMs)
  return {exitCode: timedOut ? null : r.exitCode, timedOut, stdout: r.stdout, stderr: r.stderr}
}

function leftInPlace(left: readonly JournalEntry[], project: string): string {
  return `${left.length} fault(s) could not be reverted and may still be in place: ${left.map((e) => e.description).join('; ')}. Restore with: firedrill cleanup --project ${project}`
}

function engineLost(cause: EngineUnavailableError, left: readonly JournalEntry[], project: string): EngineLostError {
  const what = left.length > 0 ? leftInPlace(left, project) : 'Every fault was reverted before it went.'
  const suggestions = [
    left.length > 0 ? `once the engine answers again (docker info): firedrill cleanup --project ${project}` : 'once the engine answers again (docker info), run the drill again',
  ]
  return new EngineLostError(`the Docker engine was lost mid-drill (${cause.message}); the run is aborted and no RTO or RPO is reported.\n${what}`, suggestions, {cause})
}

/** The partial result of a run that was interrupted or aborted, kept with the error so its evidence can still be written. */
const PARTIAL_RESULTS = new WeakMap<object, DrillResult>()

export function partialResultOf(error: unknown): DrillResult | undefined {
  return typeof error === 'object' && error !== null ? PARTIAL_RESULTS.get(error) : undefined
}
