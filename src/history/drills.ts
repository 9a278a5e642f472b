import {existsSync, readdirSync, statSync} from 'node:fs'
import path from 'node:path'

import {loadDrill} from '../config/load-drill.js'
import {DEFAULT_DRILLS_DIR} from '../paths.js'
import type {ScheduledDrill} from './calendar.js'

/** The drills a calendar covers: the given files and directories (every *.yaml in them); default ./drills, else the shipped drills. */
export function scheduledDrills(paths: readonly string[]): ScheduledDrill[] {
  const roots = paths.length > 0 ? paths : [existsSync('drills') ? 'drills' : DEFAULT_DRILLS_DIR]
  const files: string[] = []
  for (const p of roots) {
    if (existsSync(p) && statSync(p).isDirectory()) {
      for (const f of readdirSync(p).sort()) if (/\.ya?ml$/.test(f)) files.push(path.join(p, f))
    } else files.push(p)
  }
  // Each drill is validated as `run` would; a broken one is reported with its file and field (exit 2).
  return files.map((f) => {
    const {drill} = loadDrill(f)
    return {name: drill.name, file: drill.file, frequency: drill.frequency}
  })
}
