import {createHash} from 'node:crypto'
import {readFileSync} from 'node:fs'

import {defaultDeadlineMs} from '../config/deadline.js'
import {STEP_KINDS, type Step} from '../config/drill.js'
import type {LoadedDrill} from '../config/load-drill.js'
import type {ProbeSet} from '../config/probe-set.js'
import {ConfigError, errorMessage, InterruptedError} from '../errors.js'
import type {Engine} from '../engine/engine.js'
import {classifySweep, faultLabel, sweepCells, sweepVerdict, type SweepTopology} from '../grade/sweep.js'
import type {DrillResult} from '../model/result.js'
import type {SweepFault, SweepFaultKind, SweepResult, SweepRow} from '../model/sweep.js'
import {type Progress, silentProgress} from '../util/progress.js'
import {newRunId, runSession} from './session.js'

/** One cell row of a sweep, before it runs: its fault and the drill that injects it alone. */
export interface PlannedRow {
  fault: SweepFault
  loaded: LoadedDrill
}

export interface SweepPlanOptions {
  fault: SweepFaultKind
  /** --sites: only these (default: every site of the topology, in its order). */
  sites?: readonly string[]
  /** --services: each of these services on each site, one at a time, instead of whole sites. */
  services?: readonly string[]
  /** How long every cell watches after its fault before it is judged. */
  settleMs: number
  /** "not recovered within T": the bound from the fault. */
  boundMs: number
}

/**
 * The rows of a sweep, each a drill of its own built from the topology's probe set, so a cell runs on the
 * runner every drill runs on (one clock, the crash journal, every fault reverted on success, failure,
 * timeout, Ctrl-C and SIGTERM, the topology healthy again before the next): the fault alone, the probes
 * watching for `settle`, then `wait: recovered` up to the bound. Each probe's one objective is the bound
 * (rto), so each cell's history entry passes or fails as the matrix says. A whole site's fault is the fault kind of that name; one service's instance on a site is
 * power-cut as a SIGKILL of its container (`kill`, reverted by starting it). Bad --sites or --services:
 * exit 2 naming the flag, nothing started.
 */
export function planSweep(set: ProbeSet, opts: SweepPlanOptions): PlannedRow[] {
  const {topology} = set
  const siteNames = topology.sites.map((s) => s.name)
  const services = [...new Set(topology.instances.map((i) => i.service))]
  const issues: ConfigError['issues'] = []
  for (const s of opts.sites ?? []) if (!siteNames.includes(s)) issues.push({file: topology.file, field: '--sites', message: `site "${s}" is not in topology ${topology.project} (sites: ${siteNames.join(', ')})`})
  for (const s of opts.services ?? []) if (!services.includes(s)) issues.push({file: topology.file, field: '--services', message: `service "${s}" is not in topology ${topology.project} (services: ${services.join(', ')})`})
  if (opts.services && opts.fault === 'isolate') issues.push({file: topology.file, field: '--services', message: 'isolate cuts a whole site off the WAN; with --services sweep --fault power-cut (each instance lost alone)'})
  if (opts.settleMs >= opts.boundMs) issues.push({file: topology.file, field: '--settle', message: `settle (${opts.settleMs} ms) must be shorter than the bound --timeout (${opts.boundMs} ms)`})
  if (issues.length > 0) throw new ConfigError(issues)
  const sites = siteNames.filter((s) => !opts.sites || opts.sites.includes(s))
  const faults: SweepFault[] = opts.services
    ? sites.flatMap((site) => opts.services!.filter((svc) => topology.instances.some((i) => i.site === site && i.service === svc)).map((service) => ({kind: opts.fault, site, service})))
    : sites.map((site) => ({kind: opts.fault, site}))
  const sha256 = createHash('sha256').update(readFileSync(set.probesFile)).digest('hex')
  return faults.map((fault) => {
    const steps: Step[] = [
      faultStep(fault),
      {kind: 'sleep', ...STEP_KINDS.sleep.parse({sleep: opts.settleMs})},
      {kind: 'wait', ...STEP_KINDS.wait.parse({wait: 'recovered', timeout: opts.boundMs - opts.settleMs})},
    ] as Step[]
    const name = `sweep-${fault.kind}-${fault.site}${fault.service ? `-${fault.service}` : ''}`.slice(0, 40)
    const loaded: LoadedDrill = {
      drill: {
        file: set.probesFile,
        sha256,
        name,
        description: `firedrill sweep of ${topology.project}: ${fault.kind} of ${fault.service ? `${fault.service} at ` : ''}${fault.site} alone`,
        // Each probe is graded against the bound, so the history says FAIL for a cell not recovered within it.
        objectives: {rtoMs: opts.boundMs},
        deadline: {ms: defaultDeadlineMs(steps), from: 'default'},
        probes: set.probes.map((p) => ({...p, objectives: {rtoMs: opts.boundMs}})),
        named: true,
        probe: set.probes[0]!.spec,
        steps,
      },
      topology,
      warnings: [],
    }
    return {fault, loaded}
  })
}

function faultStep(f: SweepFault): Step {
  const raw = f.service ? {fault: 'kill', name: `${f.kind}-${f.site}-${f.service}`, target: {service: f.service, site: f.site}} : {fault: f.kind, name: `${f.kind}-${f.site}`, target: {site: f.site}}
  return {kind: 'fault', ...(STEP_KINDS.fault.parse(raw) as object)} as Step
}

/** What classification needs of a topology: sites, where each service runs, what each needs. */
export function sweepTopology(set: ProbeSet): SweepTopology {
  const placement: Record<string, string[]> = {}
  for (const i of set.topology.instances) (placement[i.service] ??= []).push(i.site)
  return {sites: set.topology.sites, placement, dependsOn: set.dependsOn}
}

export interface SweepRunOptions {
  engine: Engine
  progress?: Progress
  keep?: boolean
  buildArgs?: Record<string, string>
  sweepId?: string
  /** Each cell's run, while the topology is still up (its evidence). */
  onResult?: (result: DrillResult, loaded: LoadedDrill) => Promise<void>
}

/**
 * Run a planned sweep: the topology brought up if it is not (and taken down again afterwards unless kept),
 * each row in turn. Interrupted or aborted, the rows done so far (and the one cut short, not measured) are
 * kept: the result says so and `error` holds why; the caller writes the evidence, then rethrows `failure`.
 */
export async function runSweep(set: ProbeSet, plan: readonly PlannedRow[], opts: SweepPlanOptions & SweepRunOptions): Promise<{result: SweepResult; failure?: unknown}> {
  const progress = opts.progress ?? silentProgress
  const started = new Date()
  const t0 = performance.now()
  const rows: SweepRow[] = []
  let failure: unknown
  try {
    await runSession(
      plan.map((p) => p.loaded),
      {
        engine: opts.engine,
        keep: opts.keep,
        buildArgs: opts.buildArgs,
        progress,
        onResult: async (result, loaded) => {
          const row = plan.find((p) => p.loaded === loaded)!
          const status = result.status ?? 'completed'
          const cells = sweepCells(result, opts.boundMs)
          rows.push({fault: row.fault, run_id: result.run_id, status, duration_ms: Math.max(0, Date.now() - Date.parse(result.started_at)), cells})
          progress.log(`Row ${rows.length} of ${plan.length}, ${faultLabel(row.fault)}: ${cells.map((c) => `${c.probe} ${c.state === 'recovered' ? (c.rto_ms === 0 ? 'unaffected' : `RTO ${((c.rto_ms ?? 0) / 1000).toFixed(2)} s`) : c.state.replace('-', ' ')}`).join(', ')}`)
          await opts.onResult?.(result, loaded)
        },
      },
    )
  } catch (error) {
    failure = error
  }
  const probes = set.probes.map((p) => ({name: p.name, kind: p.spec.kind, service: p.spec.service}))
  const {spofs, notes} = classifySweep(rows, probes, sweepTopology(set), opts.boundMs)
  const status: SweepResult['status'] = failure === undefined ? 'completed' : failure instanceof InterruptedError ? 'interrupted' : 'aborted'
  const finished = new Date()
  const result: SweepResult = {
    sweep_id: opts.sweepId ?? `sweep-${newRunId(started)}`,
    topology: set.topology.project,
    topology_file: set.topology.file,
    topology_sha256: set.topology.sha256,
    probes_file: set.probesFile,
    fault: opts.fault,
    bound_ms: opts.boundMs,
    settle_ms: opts.settleMs,
    probes,
    rows,
    spofs,
    notes,
    verdict: failure === undefined && rows.length === plan.length ? sweepVerdict(rows, spofs) : 'fail',
    status,
    error: failure === undefined ? null : errorMessage(failure),
    started_at: started.toISOString(),
    finished_at: finished.toISOString(),
    duration_ms: Math.round(performance.now() - t0),
  }
  return {result, failure}
}
