import type {Environment, SignatureState} from '../model/evidence.js'
import {formatMs} from '../config/duration.js'
import type {DrillResult, ProbeOutcome} from '../model/result.js'

/** Everything a report shows about one run; built from the run itself, or later from its bundle alone. */
export interface RunReport {
  /** With its samples. */
  result: DrillResult
  environment: Environment | null
  signature: {
    /** signed: sealed just now with a key (not yet verified by anyone else). */
    state: SignatureState | 'signed'
    keyid: string | null
    /** The key's name: the trust store's, else the one the signer gave it (absent in reports made before names). */
    name?: string | null
    detail: string
  }
  /** Present when the report was rendered from a bundle after `evidence verify`-style checks. */
  integrity?: {ok: boolean; problems: string[]}
  bundle?: string
}

/** PASS or FAIL for a graded run; INTERRUPTED or ABORTED for one that did not complete (bundles from before `status` count as completed). */
export function verdictLabel(r: Pick<DrillResult, 'verdict'> & {status?: DrillResult['status']}): string {
  return r.status === undefined || r.status === 'completed' ? r.verdict.toUpperCase() : r.status.toUpperCase()
}

/** The time the measurement starts from (t_fault), in ms since the run started, recovered from the result. */
export function anchorMs(r: DrillResult): number | undefined {
  const recovered = r.timeline.find((e) => e.kind === 'recovered')
  if (recovered && r.measurements.rto_ms !== null) return round(recovered.t_ms - r.measurements.rto_ms)
  const firstFailure = r.timeline.find((e) => e.kind === 'first-failure')
  if (firstFailure && r.measurements.impact_ms !== null && r.measurements.impact_ms > 0) return round(firstFailure.t_ms - r.measurements.impact_ms)
  return (r.timeline.find((e) => e.kind === 'fault') ?? r.timeline.find((e) => e.kind === 'runbook'))?.t_ms
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100
}

export function signatureLine(report: RunReport): string {
  const s = report.signature
  const key = `key ${s.keyid ?? '?'}${s.name ? ` (${s.name})` : ''}`
  switch (s.state) {
    case 'signed':
      return `Signed (Ed25519, ${key}); check with: firedrill evidence verify --require-signature`
    case 'valid':
      return `Signature valid, by a trusted key: ${s.detail}`
    case 'untrusted':
      return `UNTRUSTED SIGNATURE: valid only with the public key shipped in the bundle (${key}), which is not a trusted key; anyone who rewrote the bundle could have signed it. Trust the key (firedrill keys trust) or check with --pub`
    case 'revoked':
      return `SIGNED BY A REVOKED KEY: ${s.detail}`
    case 'invalid':
      return `SIGNATURE INVALID: ${s.detail}`
    case 'unsigned':
      return 'UNSIGNED: this bundle carries no signature; its files can only be checked against its own manifest'
  }
}

/** Every probe of a run; a result written before several probes per drill has its one probe at the top level. */
export function probeOutcomes(r: DrillResult): ProbeOutcome[] {
  if (r.probes && r.probes.length > 0) return r.probes
  return [{name: 'probe', probe: r.probe, objectives: r.objectives, verdict: r.verdict, results: r.results, measurements: r.measurements, samples: r.samples}]
}

/** One probe's figures in a line: RTO with its resolution, impact, and (for a write probe) what was lost. */
/**
 * A probe's sample counts in the words its kind warrants: a probe with nothing to read back (a check:
 * http, tcp, command) counts samples ok and failed; one that writes counts acknowledged and lost ("?"
 * when no read-back happened).
 */
export function sampleCounts(m: Pick<DrillResult['measurements'], 'acked_writes' | 'failed_writes' | 'indeterminate_writes' | 'lost_writes' | 'rpo_ms'>): string {
  return m.lost_writes === null && m.rpo_ms === null
    ? `${m.acked_writes} ok, ${m.failed_writes} failed, ${m.indeterminate_writes} indeterminate`
    : `${m.acked_writes} acknowledged, ${m.lost_writes ?? '?'} lost, ${m.indeterminate_writes} indeterminate`
}

export function probeFigures(p: ProbeOutcome, status: DrillResult['status'] = 'completed'): string {
  const m = p.measurements
  const rto = m.rto_ms === null ? (status === 'completed' ? 'never recovered' : 'not measured') : `${formatMs(m.rto_ms)} ± ${formatMs(m.resolution_ms)}`
  const impact = m.impact_ms === null ? 'impact not measured' : `impact after ${formatMs(m.impact_ms)}`
  const writes = m.lost_writes === null && m.rpo_ms === null ? sampleCounts(m) : `RPO ${m.rpo_ms === null ? 'unknown' : formatMs(m.rpo_ms)}, ${sampleCounts(m)}`
  return `${p.name} (${p.probe.kind} on ${p.probe.service}, ${p.probe.samples} samples): ${p.verdict.toUpperCase()}, RTO ${rto}, ${impact}, ${writes}`
}
