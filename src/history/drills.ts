import {existsSync} from 'node:fs'

import {loadDrillFiles} from '../config/drill-files.js'
import {ConfigError} from '../errors.js'
import {DEFAULT_DRILLS_DIR} from '../paths.js'
import type {ScheduledDrill} from './calendar.js'

/**
 * The drills a calendar covers: the drill files among the given files and directories, chosen as `run`
 * chooses them (policy and topology files skipped); default ./drills, else the shipped drills. Each drill
 * is validated as `run` would; every broken one is reported with its file and field (exit 2).
 */
export function scheduledDrills(paths: readonly string[]): ScheduledDrill[] {
  const roots = paths.length > 0 ? paths : [existsSync('drills') ? 'drills' : DEFAULT_DRILLS_DIR]
  const {drills, issues} = loadDrillFiles(roots)
  if (issues.length > 0) throw new ConfigError(issues)
  return drills.map(({drill}) => ({name: drill.name, file: drill.file, frequency: drill.frequency}))
}
