/**
 * A sweep's matrix and its single points of failure, from the runs' results: pure functions (no clock, no
 * engine), unit-tested in test/unit/sweep.test.ts.
 */
import type {DrillResult} from '../model/result.js'
import type {SinglePointOfFailure, SweepCell, SweepFault, SweepNote, SweepRow} from '../model/sweep.js'
import type {Site} from '../model/topology.js'

/** What classification needs of the topology: its sites, where each service runs, what each needs. */
export interface SweepTopology {
  sites: readonly Site[]
  /** Service → the sites it has an instance on. */
  placement: Readonly<Record<string, readonly string[]>>
  /** Service → the services it needs (depends_on); a service absent or empty records none. */
  dependsOn: Readonly<Record<string, readonly string[]>>
}

/** A row's label in tables: `power-cut pangyo`, `power-cut pangyo/auth`. */
export function faultLabel(f: SweepFault): string {
  return `${f.kind} ${f.site}${f.service ? `/${f.service}` : ''}`
}

/** The fault in words, as the sentence of a single point of failure starts. */
export function faultPhrase(f: SweepFault): string {
  if (f.kind === 'power-cut') return f.service ? `power loss of ${f.service} at ${f.site}` : `power loss at ${f.site}`
  return f.service ? `isolating ${f.service} at ${f.site}` : `isolating ${f.site}`
}

/**
 * Each probe's cell of one run: recovered within the bound (its RTO, 0 when nothing failed), not recovered
 * within it (no stable run of successes, or one that came later than the bound), or not measured (the run
 * did not complete). Lost writes and RPO as the run measured them.
 */
export function sweepCells(result: DrillResult, boundMs: number): SweepCell[] {
  const outcomes = result.probes ?? [{name: 'probe', measurements: result.measurements}]
  const completed = (result.status ?? 'completed') === 'completed'
  return outcomes.map(({name, measurements: m}) => {
    const state: SweepCell['state'] = !completed ? 'not-measured' : m.rto_ms === null || m.rto_ms > boundMs ? 'not-recovered' : 'recovered'
    return {
      probe: name,
      state,
      rto_ms: completed ? m.rto_ms : null,
      impact_ms: completed ? m.impact_ms : null,
      lost_writes: completed ? m.lost_writes : null,
      rpo_ms: completed ? m.rpo_ms : null,
      indeterminate_writes: m.indeterminate_writes,
      resolution_ms: m.resolution_ms,
    }
  })
}

/** Every service `service` needs, directly or through others (depends_on, followed; cycles are harmless). */
export function dependencyClosure(service: string, dependsOn: SweepTopology['dependsOn']): string[] {
  const seen = new Set<string>([service])
  const queue = [service]
  while (queue.length > 0) {
    for (const next of dependsOn[queue.shift()!] ?? []) {
      if (!seen.has(next)) {
        seen.add(next)
        queue.push(next)
      }
    }
  }
  return [...seen]
}

/** What a fault takes away entirely: services whose every instance it hits (one service's instance, or every service on the site). */
function wipedOut(fault: SweepFault, topo: SweepTopology): Set<string> {
  const out = new Set<string>()
  for (const [service, sites] of Object.entries(topo.placement)) {
    if (fault.service !== undefined && fault.service !== service) continue
    if (sites.length > 0 && sites.every((s) => s === fault.site)) out.add(service)
  }
  return out
}

const listOf = (items: readonly string[]) => (items.length <= 1 ? items.join('') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`)

/**
 * The single points of failure of a sweep: each fault after which some probe did not recover within the
 * bound, in one sentence. The reason comes from the topology when it can tell: the services that run only
 * where the fault hit and that the probe's service needs (itself included, through depends_on) — "power loss
 * at pangyo stops api: auth runs only in pangyo". Otherwise the sentence says what was observed.
 *
 * One exception, said in a note instead: when the service a probe addresses runs only on a `witness` site
 * and the fault takes it down, the fault cut the probes' own entry point (a neutral site standing in for the
 * global load balancer clients reach), not the system behind it.
 */
export function classifySweep(rows: readonly SweepRow[], probes: readonly {name: string; service: string}[], topo: SweepTopology, boundMs: number): {spofs: SinglePointOfFailure[]; notes: SweepNote[]} {
  const spofs: SinglePointOfFailure[] = []
  const notes: SweepNote[] = []
  const witness = new Set(topo.sites.filter((s) => s.role === 'witness').map((s) => s.name))
  const bound = `${(boundMs / 1000).toFixed(0)} s`
  for (const row of rows) {
    const stopped = row.cells.filter((c) => c.state === 'not-recovered')
    if (stopped.length === 0) continue
    const gone = wipedOut(row.fault, topo)
    const entry: string[] = []
    const real: {probe: string; causes: string[]}[] = []
    for (const cell of stopped) {
      const service = probes.find((p) => p.name === cell.probe)?.service
      if (service !== undefined && gone.has(service) && witness.has(row.fault.site)) {
        entry.push(cell.probe)
        continue
      }
      const needed = service === undefined ? [] : dependencyClosure(service, topo.dependsOn)
      real.push({probe: cell.probe, causes: needed.filter((s) => gone.has(s))})
    }
    if (entry.length > 0) {
      const services = [...new Set(entry.map((p) => probes.find((q) => q.name === p)!.service))]
      notes.push({
        fault: row.fault,
        probes: entry,
        sentence: `${faultPhrase(row.fault)} cuts the probes' own entry point (${listOf(services)} runs only in ${row.fault.site}, a witness site standing for what clients reach first): ${listOf(entry)} not recovered within ${bound}, not counted as a single point of failure of the system behind it`,
      })
    }
    if (real.length === 0) continue
    const causes = [...new Set(real.flatMap((r) => r.causes))].sort()
    const names = real.map((r) => r.probe)
    const reason =
      causes.length > 0
        ? `${listOf(causes)} ${causes.length === 1 ? 'runs' : 'run'} only in ${row.fault.site}`
        : `not recovered within ${bound} (observed; the topology records no dependency that explains it)`
    spofs.push({fault: row.fault, probes: names, causes, sentence: `${faultPhrase(row.fault)} stops ${listOf(names)}: ${reason}`})
  }
  return {spofs, notes}
}

/** pass when no fault is a single point of failure and every cell was measured. */
export function sweepVerdict(rows: readonly SweepRow[], spofs: readonly SinglePointOfFailure[]): 'pass' | 'fail' {
  return spofs.length === 0 && rows.every((r) => r.status === 'completed' && r.cells.every((c) => c.state !== 'not-measured')) ? 'pass' : 'fail'
}
