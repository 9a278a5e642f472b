import path from 'node:path'

import type {SweepCell, SweepResult, SweepRow} from '../../src/model/sweep.js'
import {PACKAGE_ROOT} from '../../src/paths.js'

const MESSENGER = path.join(PACKAGE_ROOT, 'fixtures', 'topologies', 'messenger-3dc', 'topology.yaml')
export const cell = (probe: string, over: Partial<SweepCell> = {}): SweepCell => ({probe, state: 'recovered', rto_ms: 0, impact_ms: 0, lost_writes: 0, rpo_ms: 0, indeterminate_writes: 0, resolution_ms: 1200, ...over})
export const row = (site: string, cells: SweepCell[], over: Partial<SweepRow> = {}): SweepRow => ({fault: {kind: 'power-cut', site}, run_id: `run-${site}`, status: 'completed', duration_ms: 40_000, cells, ...over})

/** A sweep of messenger-3dc as the renderers get it: pangyo a single point of failure, edge a note. */
export const SWEEP: SweepResult = {
  sweep_id: 'sweep-20261201T180000Z-abcdef',
  topology: 'messenger-3dc',
  topology_file: MESSENGER,
  topology_sha256: 'f'.repeat(64),
  probes_file: MESSENGER,
  fault: 'power-cut',
  bound_ms: 45_000,
  settle_ms: 15_000,
  probes: [
    {name: 'api', kind: 'http', service: 'gateway'},
    {name: 'messages', kind: 'redis-write', service: 'redis'},
  ],
  rows: [
    row('pangyo', [cell('api', {state: 'not-recovered', rto_ms: null, lost_writes: 0}), cell('messages', {rto_ms: 4400, lost_writes: 2, rpo_ms: 500})]),
    row('gasan', [cell('api'), cell('messages', {rto_ms: 0, lost_writes: 1, rpo_ms: 0})]),
    row('edge', [cell('api', {state: 'not-recovered', rto_ms: null}), cell('messages', {lost_writes: null})]),
  ],
  spofs: [{fault: {kind: 'power-cut', site: 'pangyo'}, probes: ['api'], causes: ['auth'], sentence: 'power loss at pangyo stops api: auth runs only in pangyo'}],
  notes: [{fault: {kind: 'power-cut', site: 'edge'}, probes: ['api'], sentence: "power loss at edge cuts the probes' own entry point"}],
  verdict: 'fail',
  status: 'completed',
  error: null,
  started_at: '2026-12-01T18:00:00.000Z',
  finished_at: '2026-12-01T18:04:00.000Z',
  duration_ms: 240_000,
}
