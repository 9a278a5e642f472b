import path from 'node:path'

import {ConfigError, type ConfigIssue} from '../errors.js'
import {policySchema, type Policy} from './drill.js'
import {YamlSource} from './yaml-source.js'
import type {Objectives} from '../model/objectives.js'
import type {Disruption} from '../model/vocabulary.js'
import type {ObjectivesSource} from '../model/objectives.js'

export type {ObjectivesSource} from '../model/objectives.js'



export const DEFAULT_POLICY_FILE = 'policy.yaml'

export interface LoadedPolicy {
  file: string
  sha256: string
  policy: Policy
}

export function loadPolicy(file: string): LoadedPolicy {
  const source = YamlSource.read(path.resolve(file))
  const policy = source.check(policySchema)
  return {file: source.file, sha256: source.sha256, policy}
}

export type WrittenObjectives = {rto?: number; rpo?: number; split_brain?: false}
type Written = WrittenObjectives

/**
 * The objectives a drill is graded on: its tier's (and, for its kind of disruption, the tier's
 * per-disruption ones), then whatever the drill writes out itself, field by field.
 */
export function resolveObjectives(
  written: Written | undefined,
  tier: {name: string; policy: LoadedPolicy; disruption?: Disruption} | undefined,
  where: (field: string[], message: string) => ConfigIssue,
): {objectives: Objectives; source?: ObjectivesSource} {
  let merged: Written = {}
  let source: ObjectivesSource | undefined
  if (tier) {
    const t = tier.policy.policy.tiers[tier.name]
    if (!t) {
      const known = Object.keys(tier.policy.policy.tiers)
      throw new ConfigError([where(['tier'], `tier "${tier.name}" is not in policy ${tier.policy.file} (tiers: ${known.join(', ') || 'none'})`)])
    }
    const byDisruption = tier.disruption ? t.disruptions?.[tier.disruption] : undefined
    merged = {...pick(t), ...pick(byDisruption ?? {})}
    source = {policy: tier.policy.file, policy_name: tier.policy.policy.name, policy_sha256: tier.policy.sha256, tier: tier.name, disruption: tier.disruption}
  }
  merged = {...merged, ...pick(written ?? {})}
  return {objectives: {rtoMs: merged.rto, rpoMs: merged.rpo, splitBrain: merged.split_brain}, source}
}

function pick(o: Written): Written {
  const out: Written = {}
  if (o.rto !== undefined) out.rto = o.rto
  if (o.rpo !== undefined) out.rpo = o.rpo
  if (o.split_brain !== undefined) out.split_brain = o.split_brain
  return out
}
