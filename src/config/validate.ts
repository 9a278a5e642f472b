import {readdirSync, statSync} from 'node:fs'
import path from 'node:path'

import {ConfigError, type ConfigIssue} from '../errors.js'
import {loadDrill} from './load-drill.js'
import {loadPolicy} from './load-policy.js'
import {loadTopology} from './load-topology.js'
import {YamlSource} from './yaml-source.js'

export type ConfigKind = 'drill' | 'topology' | 'policy'

export interface FileVerdict {
  file: string
  kind: ConfigKind | null
  valid: boolean
  /** What the file holds, when valid: "drill kill-primary (4 steps)". */
  summary?: string
  issues: ConfigIssue[]
  warnings: string[]
}

/** What a YAML file is, from its top-level fields (a drill has steps, a topology services, a policy tiers). */
export function kindOf(value: unknown): ConfigKind | null {
  if (typeof value !== 'object' || value === null) return null
  if ('steps' in value) return 'drill'
  if ('services' in value || 'sites' in value) return 'topology'
  if ('tiers' in value) return 'policy'
  return null
}

/** Check one file of any kind; every problem is collected, none thrown. */
export function validateFile(file: string, opts: {ci?: boolean; topology?: string; policy?: string} = {}): FileVerdict {
  const absolute = path.resolve(file)
  let kind: ConfigKind | null = null
  try {
    kind = kindOf(YamlSource.read(absolute).value)
    switch (kind) {
      case 'drill': {
        const loaded = loadDrill(absolute, opts)
        return {file: absolute, kind, valid: true, summary: `drill ${loaded.drill.name} (${loaded.drill.steps.length} steps, topology ${loaded.topology.project})`, issues: [], warnings: loaded.warnings}
      }
      case 'topology': {
        const t = loadTopology(absolute)
        return {file: absolute, kind, valid: true, summary: `topology ${t.project} (${t.sites.length} sites, ${t.instances.length} containers)`, issues: [], warnings: []}
      }
      case 'policy': {
        const p = loadPolicy(absolute)
        return {file: absolute, kind, valid: true, summary: `policy ${p.policy.name} (tiers: ${Object.keys(p.policy.tiers).join(', ')})`, issues: [], warnings: []}
      }
      case null:
        return {
          file: absolute,
          kind,
          valid: false,
          issues: [{file: absolute, line: 1, field: '', message: 'not a drill (steps), a topology (sites, services) or a policy (tiers): cannot tell what this file is'}],
          warnings: [],
        }
    }
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error
    return {file: absolute, kind, valid: false, issues: error.issues, warnings: []}
  }
}

/** The YAML files a list of paths names: files as given, directories searched one level deep. */
export function yamlFiles(paths: readonly string[]): string[] {
  return paths.flatMap((p) => {
    let isDir = false
    try {
      isDir = statSync(p).isDirectory()
    } catch {
      return [p] // reported as "file not found" by whoever reads it
    }
    if (!isDir) return [p]
    return readdirSync(p)
      .filter((f) => /\.ya?ml$/.test(f))
      .sort()
      .map((f) => path.join(p, f))
  })
}
