import {z} from 'zod'

import {name} from '../config/common.js'
import {PARTITION_DIRECTIONS} from '../config/drill.js'
import type {FaultKindSchema} from '../config/fault-kinds.js'
import {errorMessage} from '../errors.js'
import {cutPairs} from '../model/partition.js'
import {networkName} from '../model/topology.js'
import type {Fault} from './fault.js'
import {requireNet, type FaultKindModule} from './kind.js'
import {NetHelpers, type NetHelper, type NetTarget} from './net-helper.js'
import {chainName, partitionApply, planPartition, revertScript, type PartitionDirection, type SiteMember} from './net-rules.js'

export function describeGroups(groups: readonly (readonly string[])[]): string {
  return groups.map((g) => `[${g.join(', ')}]`).join(' | ')
}

/**
 * Cut groups of sites apart: every container that must not hear from another site drops that site's
 * WAN addresses on INPUT, in a chain of this fault's own, set from a helper in its namespace (the
 * receiver drops, so senders see silence, as across a real partition). One-way: only packets from an
 * earlier group to a later one. Undo: remove the chain and the jump, check they are gone, remove the helpers.
 */
export function partitionFault(helpers: NetHelpers, groups: readonly (readonly string[])[], direction: PartitionDirection, members: readonly SiteMember[], tag: string): Fault {
  const chain = chainName(tag)
  const rules = planPartition(groups, direction, members)
  if (rules.length === 0) throw new Error(`partition ${describeGroups(groups)} cuts no running container off from another`)
  const label = `partition ${describeGroups(groups)}${direction === 'one-way' ? ' (one-way: earlier groups cannot reach later ones)' : ''}`
  return {
    description: label,
    async inject() {
      const applied: {target: NetTarget; helper?: NetHelper}[] = []
      const undo = async () => {
        const outcomes = await Promise.allSettled(
          applied.map(async ({target, helper}) => {
            const r = await helpers.runIn(target, helper, revertScript(chain, []))
            await helper?.remove()
            if (r.exitCode !== 0) throw new Error(`${target.name}: ${(r.stderr || r.stdout).trim()}`)
          }),
        )
        const failed = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected')
        if (failed.length > 0) throw new Error(`partition not fully undone: ${failed.map((f) => errorMessage(f.reason)).join('; ')}`)
      }
      try {
        await Promise.all(
          rules.map(async (rule) => {
            const target: NetTarget = {id: rule.containerId, name: rule.containerName, site: rule.site}
            const entry: {target: NetTarget; helper?: NetHelper} = {target}
            applied.push(entry)
            entry.helper = await helpers.attach(target, tag, {owns: {chain, qdisc: false}})
            await entry.helper.must(`iptables ${chain}`, partitionApply(chain, rule))
          }),
        )
      } catch (error) {
        await undo().catch(() => {})
        throw error
      }
      const dropped = rules.map((r) => `${r.containerName} drops ${r.dropFrom.map((d) => `${d.site} ${d.address}`).join(', ')}`)
      return {
        detail: `iptables chain ${chain} on INPUT in ${rules.length} container(s): ${dropped.join('; ')}`,
        revert: {description: `heal ${label}`, run: undo},
      }
    },
  }
}

/** partition: drop traffic between the groups' sites on their WAN addresses; undo: the helpers' labels say what to remove. */
export const partitionKind: FaultKindModule<'partition'> = {
  kind: 'partition',
  build: (step, env) => {
    const wan = networkName(env.topology.project, undefined)
    const members: SiteMember[] = env.targets.flatMap((t) => {
      const address = t.container.addresses[wan]
      return address === undefined ? [] : [{site: t.instance.site, containerId: t.container.id, containerName: t.container.name, address}]
    })
    return partitionFault(requireNet(env.net).helpers, step.groups, step.direction ?? 'both', members, NetHelpers.newTag())
  },
  undo: () => ({kind: 'net-helpers'}),
}

/** partition: groups of sites, no target; cuts every pair of sites no group holds together. */
export const partitionSchema: FaultKindSchema<'partition'> = {
  kind: 'partition',
  fields: {
    /** Groups of sites that cannot reach each other, e.g. [[seoul], [gyeonggi, busan]]. Sites in different groups are cut apart unless some group holds both (groups may overlap). */
    groups: z.array(z.array(name('site name')).min(1, {error: 'a group holds at least one site'}), {error: 'groups is a list of lists of sites, e.g. [[seoul], [gyeonggi, busan]]'}).min(2, {error: 'a partition needs at least two groups'}).optional(),
    /** `both` (default), or `one-way`: only packets from an earlier group to a later one are dropped. */
    direction: z.enum(PARTITION_DIRECTIONS, {error: `direction must be one of: ${PARTITION_DIRECTIONS.join(', ')}`}).optional(),
  },
  only: {fields: ['groups', 'direction']},
  target: 'none',
  leaveable: 'the next run and cleanup heal every network fault from its helpers\' labels, so it cannot be left in place',
  check: (step, ctx) => {
    if (step.target !== undefined) ctx.addIssue({code: 'custom', path: ['target'], message: 'partition acts on groups of sites: give groups, not target'})
    if (step.groups === undefined) ctx.addIssue({code: 'custom', path: ['groups'], message: 'partition needs groups, e.g. groups: [[seoul], [gyeonggi, busan]]'})
    else if (step.groups.length >= 2 && cutPairs(step.groups, step.direction ?? 'both').length === 0) {
      ctx.addIssue({code: 'custom', path: ['groups'], message: 'these groups cut no site off from another (every pair of sites shares a group)'})
    }
  },
  narrow: (step) => (step.fault === 'partition' && step.groups !== undefined ? {...step, fault: 'partition', groups: step.groups, target: undefined} : undefined),
}
