import {z} from 'zod'

import {duration, name} from '../config/common.js'
import type {FaultKindSchema} from '../config/fault-kinds.js'
import {errorMessage} from '../errors.js'
import {networkName} from '../model/topology.js'
import type {Fault} from './fault.js'
import {narrowTargeted} from './kill.js'
import {requireNet, type FaultKindModule} from './kind.js'
import {NetHelpers, type NetHelper, type NetTarget} from './net-helper.js'
import {chainName, DELAY_QUEUE, describeDegrade, deviceOf, planDegrade, revertScript, type DegradeSpec, type NetMechanism} from './net-rules.js'

export interface DegradeTarget extends NetTarget {
  /** The target's address on the WAN network: the device holding it is where degraded traffic leaves. */
  wanAddress: string
  /** Degrade only packets to these addresses (another site's containers), or everything leaving over the WAN. */
  peers: 'all' | string[]
}

/**
 * Degrade the link between the targets and a peer (another site, or the whole WAN): latency ± jitter,
 * random loss and a rate limit on the packets the targets send there. The mechanism is chosen once per
 * run (tc netem where the kernel has it; else firedrill-delayer on NFQUEUE, iptables statistic and htb)
 * and recorded. Undo: remove this fault's chain and qdisc, check they are gone, stop the helpers.
 */
export function degradeFault(
  helpers: NetHelpers,
  spec: DegradeSpec,
  peerName: string,
  targets: readonly DegradeTarget[],
  tag: string,
  /** Told what each delayer reports when it stops (packets delayed, how long they were held), for the timeline. */
  note: (text: string) => void = () => {},
): Fault {
  if (targets.length === 0) throw new Error('degrade needs at least one target')
  const chain = chainName(tag)
  // entry.dev is set only when this fault owns the device's root qdisc: a revert never removes another fault's.
  const label = `degrade ${targets.map((t) => t.name).join(', ')} ↔ ${peerName}: ${describeDegrade(spec)}`
  return {
    description: label,
    async inject() {
      const mechanism: NetMechanism = await helpers.mechanism()
      const delayer = mechanism === 'nfqueue' && spec.latencyMs !== undefined
      const applied: {target: DegradeTarget; helper?: NetHelper; dev?: string}[] = []
      const summaries: string[] = []
      const undo = async () => {
        const outcomes = await Promise.allSettled(
          applied.map(async ({target, helper, dev}) => {
            const r = await helpers.runIn(target, helper, revertScript(chain, dev ? [dev] : []))
            const tail = await helper?.remove()
            const summary = tail?.split('\n').findLast((line) => line.includes('packets delayed'))
            if (summary) note(`${target.name}: ${summary}`)
            if (r.exitCode !== 0) throw new Error(`${target.name}: ${(r.stderr || r.stdout).trim()}`)
          }),
        )
        const failed = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected')
        if (failed.length > 0) throw new Error(`degrade not fully undone: ${failed.map((f) => errorMessage(f.reason)).join('; ')}`)
      }
      try {
        await Promise.all(
          targets.map(async (target) => {
            const entry: {target: DegradeTarget; helper?: NetHelper; dev?: string} = {target}
            applied.push(entry)
            // The delayer's command does not depend on the device, so the helper can start with it.
            const plan0 = planDegrade(mechanism, spec, {dev: 'lo', peers: target.peers}, chain)
            entry.helper = await helpers.attach(target, tag, {command: delayer ? plan0.delayer : undefined, owns: {chain, qdisc: plan0.ownsQdisc}})
            const dev = deviceOf(await entry.helper.must('ip addr', 'ip -o -4 addr show'), target.wanAddress)
            if (!dev) throw new Error(`no device of ${target.name} holds its WAN address ${target.wanAddress}`)
            const plan = planDegrade(mechanism, spec, {dev, peers: target.peers}, chain)
            await entry.helper.must(`check ${dev}`, plan.check)
            if (plan.ownsQdisc) entry.dev = dev
            if (delayer) await entry.helper.waitQueueBound(DELAY_QUEUE)
            await entry.helper.must(`degrade ${dev}`, plan.apply)
            summaries.push(`${target.name}: ${plan.summary}`)
          }),
        )
      } catch (error) {
        await undo().catch(() => {})
        throw error
      }
      return {
        detail: `mechanism ${mechanism}; ${summaries.join('; ')}`,
        mechanism,
        revert: {
          description: `restore the link ${targets.map((t) => t.name).join(', ')} ↔ ${peerName}`,
          run: undo,
        },
      }
    },
  }
}

/** degrade: shape what the targets send to the peer (the WAN, or one site); undo: the helpers' labels say what to remove. */
export const degradeKind: FaultKindModule<'degrade'> = {
  kind: 'degrade',
  build: (step, env) => {
    const ctx = requireNet(env.net)
    const wan = networkName(env.topology.project, undefined)
    const peer = step.peer ?? 'wan'
    const peerAddresses =
      peer === 'wan'
        ? ('all' as const)
        : ctx.observed.flatMap((o) => {
            const address = o.instance.site === peer ? o.container?.addresses[wan] : undefined
            return address ? [address] : []
          })
    if (peerAddresses !== 'all' && peerAddresses.length === 0) throw new Error(`degrade: no container of site ${peer} is on the WAN now`)
    // A target never degrades its traffic to itself (a leader selected by role may sit on the peer site).
    const degradeTargets = env.targets
      .flatMap((t) => {
        const own = t.container.addresses[wan]
        if (own === undefined) return []
        return [{id: t.container.id, name: t.container.name, site: t.instance.site, service: t.instance.service, wanAddress: own, peers: peerAddresses === 'all' ? peerAddresses : peerAddresses.filter((a) => a !== own)}]
      })
      .filter((t) => t.peers === 'all' || t.peers.length > 0)
    if (degradeTargets.length === 0) throw new Error(`degrade: the targets are the only containers of site ${peer} on the WAN; nothing to degrade between them`)
    return degradeFault(ctx.helpers, {latencyMs: step.latency, jitterMs: step.jitter, lossPercent: step.loss, rate: step.rate}, peer, degradeTargets, NetHelpers.newTag(), ctx.note)
  },
  undo: () => ({kind: 'net-helpers'}),
}

const RATE = /^\d+(\.\d+)?(bit|kbit|mbit|gbit)$/
/** `5%`, `0.5%` or a bare number of percent, as a number of percent (0 < p <= 100). */
const percent = () =>
  z.union([z.string(), z.number()], {error: 'expected a percentage such as 5% or 0.5%'}).transform((raw, ctx) => {
    const text = String(raw).trim()
    const match = /^(\d+(?:\.\d+)?)\s*%?$/.exec(text)
    const value = match ? Number(match[1]) : Number.NaN
    if (!(value > 0 && value <= 100)) {
      ctx.addIssue({code: 'custom', message: `"${raw}" is not a percentage above 0 and at most 100 (such as 5%)`})
      return z.NEVER
    }
    return value
  })

/** degrade: the peer and at least one of latency (± jitter), loss, rate. */
export const degradeSchema: FaultKindSchema<'degrade'> = {
  kind: 'degrade',
  fields: {
    /** The other end of the degraded link: `wan` (default: all traffic leaving the target over the WAN) or a site. */
    peer: name('peer').optional(),
    /** Delay added to every packet the target sends to the peer (a round trip grows by this much). */
    latency: duration().optional(),
    /** The delay varies uniformly within latency ± jitter (packets keep their order). */
    jitter: duration().optional(),
    /** Share of packets to the peer dropped at random, e.g. 5%. */
    loss: percent().optional(),
    /** Bandwidth towards the peer, e.g. 10mbit (units bit, kbit, mbit, gbit). */
    rate: z
      .string()
      .regex(RATE, {error: 'rate must be a number with a unit: bit, kbit, mbit or gbit (e.g. 10mbit)'})
      .refine((r) => !RATE.test(r) || Number.parseFloat(r) > 0, {error: 'rate must be above zero (tc refuses a rate of 0)'})
      .optional(),
  },
  only: {fields: ['peer', 'latency', 'jitter', 'loss', 'rate']},
  target: 'required',
  leaveable: 'the next run and cleanup heal every network fault from its helpers\' labels, so it cannot be left in place',
  check: (step, ctx) => {
    if (step.latency === undefined && step.loss === undefined && step.rate === undefined) {
      ctx.addIssue({code: 'custom', message: 'degrade needs at least one of latency, loss, rate'})
    }
    if (step.jitter !== undefined && (step.latency === undefined || step.jitter > step.latency)) {
      ctx.addIssue({code: 'custom', path: ['jitter'], message: 'jitter needs a latency at least as large'})
    }
    if (step.peer !== undefined && step.peer === step.target?.site) ctx.addIssue({code: 'custom', path: ['peer'], message: 'peer must be another site than the target'})
  },
  narrow: narrowTargeted,
}
