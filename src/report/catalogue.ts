import Table from 'cli-table3'

import {formatMs} from '../config/duration.js'
import type {LoadedDrill} from '../config/load-drill.js'
import {describeGroups} from '../faults/partition.js'
import {describeSelector} from '../faults/targets.js'

export interface CatalogueRow {
  name: string
  file: string
  description: string | null
  topology: string
  /** What the drill disrupts: each fault with its target, each disruptive runbook or manual step. */
  targets: string[]
  /** The first probe's objectives (the only ones of a one-probe drill); every named probe's are in `probes`. */
  objectives: {rto_ms: number | null; rpo_ms: number | null; split_brain: false | null; tier: string | null; policy: string | null}
  /** A drill with named probes (`probes:`): each probe's kind and objectives. */
  probes?: {name: string; kind: string; rto_ms: number | null; rpo_ms: number | null; split_brain: false | null}[]
  frequency: string | null
}

export function catalogueRows(drills: readonly LoadedDrill[]): CatalogueRow[] {
  return drills.map(({drill, topology}) => ({
    name: drill.name,
    file: drill.file,
    description: drill.description ?? null,
    topology: topology.project,
    targets: drill.steps.flatMap((s) => {
      if (s.kind === 'fault') return [`${s.fault} ${s.fault === 'partition' ? describeGroups(s.groups) : describeSelector(s.target)}`]
      if ((s.kind === 'runbook' || s.kind === 'manual') && s.disruptive) return [`${s.kind}: ${s.kind === 'runbook' ? s.runbook : s.manual}`]
      return []
    }),
    objectives: {
      rto_ms: drill.objectives.rtoMs ?? null,
      rpo_ms: drill.objectives.rpoMs ?? null,
      split_brain: drill.objectives.splitBrain ?? null,
      tier: drill.objectivesFrom?.tier ?? null,
      policy: drill.objectivesFrom?.policy ?? null,
    },
    frequency: drill.frequency ?? null,
    ...(drill.named
      ? {probes: drill.probes.map((p) => ({name: p.name, kind: p.spec.kind, rto_ms: p.objectives.rtoMs ?? null, rpo_ms: p.objectives.rpoMs ?? null, split_brain: p.objectives.splitBrain ?? null}))}
      : {}),
  }))
}

/** A row's objectives as a person reads them; per probe for a drill with named probes. */
export function rowObjectives(r: Pick<CatalogueRow, 'objectives' | 'probes'>): string {
  if (!r.probes) return formatObjectives(r.objectives)
  const own = r.probes.map((p) => `${p.name}: ${formatObjectives({...p, tier: null, policy: null}) || 'measured only'}`).join('; ')
  return `${own}${r.objectives.tier ? ` (tier ${r.objectives.tier})` : ''}`
}

export function formatObjectives(o: CatalogueRow['objectives']): string {
  const parts = [
    o.rto_ms === null ? undefined : `RTO ${formatMs(o.rto_ms)}`,
    o.rpo_ms === null ? undefined : `RPO ${formatMs(o.rpo_ms)}`,
    o.split_brain === false ? 'no split brain' : undefined,
  ].filter(Boolean)
  return `${parts.join(', ')}${o.tier ? ` (tier ${o.tier})` : ''}`
}

export function catalogueTable(rows: readonly CatalogueRow[]): string {
  const table = new Table({
    head: ['drill', 'description', 'targets', 'objectives', 'frequency'],
    style: {head: [], border: []},
    chars: {mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': ''},
    wordWrap: true,
    colWidths: [20, 40, 30, 24, 11],
  })
  for (const r of rows) table.push([r.name, r.description ?? '', r.targets.join('\n') || '-', rowObjectives(r), r.frequency ?? '-'])
  return table.toString()
}
