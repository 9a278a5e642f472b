import type {FaultStep} from '../config/drill.js'
import type {ContainerExec, ContainerLifecycle, NetworkAttachment} from '../engine/engine.js'
import {networkName, type Topology} from '../model/topology.js'
import type {ObservedInstance} from '../topology/observe.js'
import {degradeFault} from './degrade.js'
import type {Fault} from './fault.js'
import {diskFullFault, fillerPath} from './disk-full.js'
import {isolateFault} from './isolate.js'
import {killFault, pauseFault, powerCutFault, restartFault, stopFault} from './kill.js'
import {NetHelpers} from './net-helper.js'
import type {SiteMember} from './net-rules.js'
import {partitionFault} from './partition.js'
import {processKillFault} from './process-kill.js'
import type {RunningTarget} from './targets.js'
import type {UndoSpec} from './undo.js'

export type FaultEngine = ContainerLifecycle & NetworkAttachment & ContainerExec

/** What network faults need besides their targets: the helpers, and every container as seen when the step ran (for peer addresses). */
export interface NetFaultContext {
  helpers: NetHelpers
  observed: readonly ObservedInstance[]
  /** Where a network fault's own report goes (the timeline), e.g. what the delayer held when it stopped. */
  note?: (text: string) => void
}

/** The fault a step describes, aimed at the containers its selector picked when the step ran. */
export function buildFault(step: FaultStep, targets: readonly RunningTarget[], topology: Topology, engine: FaultEngine, now: () => number, net?: NetFaultContext): Fault {
  const containers = targets.map((t) => ({id: t.container.id, name: t.container.name}))
  const wan = networkName(topology.project, undefined)
  switch (step.fault) {
    case 'kill':
      return killFault(engine, containers, step.signal)
    case 'stop':
      return stopFault(engine, containers, step.timeout)
    case 'pause':
      return pauseFault(engine, containers)
    case 'restart':
      return restartFault(engine, containers, step.timeout)
    case 'power-cut':
      return powerCutFault(engine, step.target.site, containers, now)
    case 'isolate':
      return isolateFault(
        engine,
        step.target.site,
        wan,
        targets.map((t) => ({id: t.container.id, name: t.container.name, aliases: [t.instance.hostname]})),
      )
    case 'process-kill':
      return processKillFault(engine, containers, step.process, step.signal)
    case 'disk-full':
      return diskFullFault(engine, containers, step.path, step.max_fill)
    case 'partition': {
      const members: SiteMember[] = targets.flatMap((t) => {
        const address = t.container.addresses[wan]
        return address === undefined ? [] : [{site: t.instance.site, containerId: t.container.id, containerName: t.container.name, address}]
      })
      return partitionFault(requireNet(net).helpers, step.groups, step.direction ?? 'both', members, NetHelpers.newTag())
    }
    case 'degrade': {
      const ctx = requireNet(net)
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
      const degradeTargets = targets
        .flatMap((t) => {
          const own = t.container.addresses[wan]
          if (own === undefined) return []
          return [{id: t.container.id, name: t.container.name, site: t.instance.site, service: t.instance.service, wanAddress: own, peers: peerAddresses === 'all' ? peerAddresses : peerAddresses.filter((a) => a !== own)}]
        })
        .filter((t) => t.peers === 'all' || t.peers.length > 0)
      if (degradeTargets.length === 0) throw new Error(`degrade: the targets are the only containers of site ${peer} on the WAN; nothing to degrade between them`)
      return degradeFault(ctx.helpers, {latencyMs: step.latency, jitterMs: step.jitter, lossPercent: step.loss, rate: step.rate}, peer, degradeTargets, NetHelpers.newTag(), ctx.note)
    }
  }
}

/**
 * How to undo what a step is about to do, as data for the journal (written before the fault is
 * injected). A fault with revert: false is meant to stay, and so is not undone by cleanup either.
 */
export function undoSpecOf(step: FaultStep, targets: readonly RunningTarget[], topology: Topology): UndoSpec {
  const containers = targets.map((t) => ({id: t.container.id, name: t.container.name}))
  if (!step.revert) return {kind: 'none'}
  switch (step.fault) {
    case 'kill':
    case 'stop':
    case 'power-cut':
      return {kind: 'start', containers}
    case 'pause':
      return {kind: 'unpause', containers}
    case 'isolate':
      return {kind: 'reconnect', network: networkName(topology.project, undefined), containers: targets.map((t) => ({id: t.container.id, name: t.container.name, aliases: [t.instance.hostname]}))}
    case 'disk-full':
      return {kind: 'remove-file', path: fillerPath(step.path), containers}
    case 'partition':
    case 'degrade':
      return {kind: 'net-helpers'}
    case 'restart':
    case 'process-kill':
      return {kind: 'none'}
  }
}

function requireNet(net: NetFaultContext | undefined): NetFaultContext {
  if (!net) throw new Error('network faults need the network helpers (the runner provides them)')
  return net
}
