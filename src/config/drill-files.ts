import path from 'node:path'

import {ConfigError, type ConfigIssue} from '../errors.js'
import {loadDrill, type LoadedDrill, type LoadOptions} from './load-drill.js'
import {kindOf, yamlFiles} from './validate.js'
import {YamlSource} from './yaml-source.js'

/**
 * The drill files among these paths, the one rule every command that takes drills follows (run, plan,
 * report --period, drills list): files as given, directories searched one level deep for *.yaml; policy
 * and topology files found there (drills/policy.yaml) are skipped, since they hold tiers or services, not
 * steps. A file whose kind cannot be told (unreadable, not YAML, no steps) is kept, so that loading it
 * reports what is wrong with its file, line and field.
 */
export function drillFiles(paths: readonly string[]): string[] {
  return yamlFiles(paths).filter((file) => {
    let kind
    try {
      kind = kindOf(YamlSource.read(path.resolve(file)).value)
    } catch (error) {
      if (error instanceof ConfigError) return true
      throw error
    }
    return kind !== 'policy' && kind !== 'topology'
  })
}

/** Load every drill among these paths, collecting the problems of every file instead of stopping at the first. */
export function loadDrillFiles(paths: readonly string[], opts: LoadOptions = {}): {drills: LoadedDrill[]; issues: ConfigIssue[]} {
  const drills: LoadedDrill[] = []
  const issues: ConfigIssue[] = []
  for (const file of drillFiles(paths)) {
    try {
      drills.push(loadDrill(file, opts))
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error
      issues.push(...error.issues)
    }
  }
  return {drills, issues}
}
