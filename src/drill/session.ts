import {randomBytes} from 'node:crypto'

import {NETWORK_FAULTS} from '../config/drill.js'
import {loadDrill, type LoadedDrill} from '../config/load-drill.js'
import type {Engine} from '../engine/engine.js'
import {ensureNetHelperImage} from '../faults/net-helper.js'
import {bringUp, tearDown} from '../topology/lifecycle.js'
import {interruptible} from '../util/interrupt.js'
import {type Progress, silentProgress} from '../util/progress.js'
import {runDrill, type DrillResult} from './runner.js'

export interface SessionOptions {
  engine: Engine
  /** Leave the topology up afterwards even if the session brought it up. */
  keep?: boolean
  buildArgs?: Record<string, string>
  progress?: Progress
}

export function newRunId(now = new Date()): string {
  return `${now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}-${randomBytes(3).toString('hex')}`
}

/** Validate every drill first (nothing starts on bad input), then run them in order, leaving each topology as it was found. */
export function loadDrills(files: readonly string[], topology?: string): LoadedDrill[] {
  return files.map((file) => loadDrill(file, {topology}))
}

export async function runSession(drills: readonly LoadedDrill[], opts: SessionOptions): Promise<DrillResult[]> {
  const progress = opts.progress ?? silentProgress
  const engineInfo = await opts.engine.info()
  return interruptible(async (signal) => {
    const results: DrillResult[] = []
    // Brought up here means taken down here (unless --keep); found up means left up.
    const broughtUp = new Map<string, string>()
    try {
      if (drills.some((d) => d.drill.steps.some((s) => s.kind === 'fault' && NETWORK_FAULTS.includes(s.fault)))) {
        await ensureNetHelperImage(opts.engine, {buildArgs: opts.buildArgs, progress})
      }
      for (const loaded of drills) {
        const {topology} = loaded
        if (!broughtUp.has(topology.file)) {
          const result = await bringUp(topology, opts.engine, {progress, buildArgs: opts.buildArgs, signal})
          broughtUp.set(topology.file, result.created ? topology.project : '')
        }
        signal.throwIfAborted()
        results.push(await runDrill(loaded, {engine: opts.engine, engineInfo, runId: newRunId(), progress, signal}))
      }
      return results
    } finally {
      if (!opts.keep) {
        for (const project of broughtUp.values()) if (project) await tearDown(project, opts.engine, progress)
      }
    }
  }, progress.log)
}
