import {formatMs} from '../config/duration.js'
import {anchorMs, probeFigures} from './run-report.js'
import type {DrillResult} from '../model/result.js'

/** What happened, in a few sentences a person reads without knowing firedrill. */
export function narrative(r: DrillResult): string[] {
  const m = r.measurements
  const at = (kind: string) => r.timeline.find((e) => e.kind === kind)
  const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`
  const lines: string[] = []
  if (r.probes && r.probes.length > 1) {
    // Several probes: one sentence each, then the story of the first (the figures below are its).
    lines.push(`${r.probes.length} probes ran on one clock, each graded on its own objectives: ${r.probes.map((p) => `${p.name} (${p.probe.kind} on ${p.probe.service}, every ${formatMs(p.probe.interval_ms)})`).join(', ')}.`)
    for (const p of r.probes) lines.push(`Probe ${probeFigures(p, r.status)}.`)
    lines.push(`What follows is probe ${r.probes[0]!.name}'s story.`)
  } else {
    const where = `standing on the ${r.probe.vantage === 'wan' ? 'WAN (as a client in another site would)' : 'site network'}`
    lines.push(
      r.probe.kind.endsWith('-write')
        ? `A ${r.probe.kind} probe wrote one row every ${formatMs(r.probe.interval_ms)} to ${r.probe.service}, ${where}; ${r.probe.samples} writes were attempted.`
        : `A ${r.probe.kind} probe sampled ${r.probe.service} every ${formatMs(r.probe.interval_ms)}, ${where}; ${r.probe.samples} samples were taken.`,
    )
  }
  const fault = at('fault') ?? at('runbook')
  const anchor = anchorMs(r)
  if (fault) lines.push(`At ${s(fault.t_ms)} into the run the drill injected its fault: ${fault.detail}.`)
  const firstFailure = at('first-failure')
  if (r.status && r.status !== 'completed') lines.push(`The run was ${r.status} before it could be measured (${r.error?.split('\n')[0] ?? 'no reason recorded'}); every fault it had injected was reverted first (see the reverts), and no RTO or RPO is claimed.`)
  if (firstFailure && m.impact_ms !== null) lines.push(`Writes started failing ${formatMs(m.impact_ms)} later (${firstFailure.detail}).`)
  else lines.push('No write failed.')
  const change = at('leader-change')
  if (change) lines.push(`The service moved: ${change.detail}, at ${s(change.t_ms)}.`)
  const completed = !r.status || r.status === 'completed'
  if (m.rto_ms === null) {
    const stuck = r.timeline.find((e) => e.kind === 'not-recovered')
    if (completed) lines.push(`Service never recovered before the probe stopped${stuck ? `: ${stuck.detail}` : ''}.`)
  } else if (at('recovered') && anchor !== undefined) lines.push(`Service was back ${formatMs(m.rto_ms)} ± ${formatMs(m.resolution_ms)} after the fault (RTO), at ${s(anchor + m.rto_ms)}.`)
  if (m.lost_writes === null) lines.push(completed ? 'The data could not be read back afterwards, so whether writes were lost is unknown.' : 'Lost writes were not counted: the run did not complete.')
  else if (m.lost_writes === 0) lines.push(`Every one of the ${m.acked_writes} acknowledged writes was found when the data was read back: nothing acknowledged was lost (RPO 0).`)
  else lines.push(`${m.lost_writes} of the ${m.acked_writes} acknowledged writes were missing when the data was read back (RPO ${formatMs(m.rpo_ms ?? 0)}).`)
  if (m.indeterminate_writes > 0)
    lines.push(
      `${m.indeterminate_writes} write(s) got no answer in time, so the client could not know whether they were applied${m.indeterminate_present === null ? '' : ` (${m.indeterminate_present} turned out to be applied)`}; they are not counted as lost.`,
    )
  const failedReverts = r.reverts.filter((x) => !x.ok)
  if (r.reverts.length > 0) lines.push(failedReverts.length === 0 ? `Every fault was undone afterwards (${r.reverts.length}).` : `${failedReverts.length} fault(s) could NOT be undone: ${failedReverts.map((x) => `${x.description}: ${x.error}`).join('; ')}.`)
  const missed = r.results.filter((o) => !o.met)
  lines.push(missed.length === 0 ? `Verdict: PASS, every objective met.` : `Verdict: FAIL, ${missed.map((o) => `${o.objective} (${o.reason})`).join('; ')}.`)
  return lines
}
