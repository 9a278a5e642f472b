import type {FaultStep} from '../config/drill.js'
import type {ContainerExec, ContainerLifecycle, NetworkAttachment} from '../engine/engine.js'
import {networkName, type Topology} from '../topology/model.js'
import type {ObservedInstance} from '../topology/observe.js'
import type {Fault} from './fault.js'
import {diskFullFault} from './disk-full.js'
import {isolateFault} from './isolate.js'
import {killFault, pauseFault, powerCutFault, restartFault, stopFault} from './kill.js'
import {processKillFault} from './process-kill.js'

export type FaultEngine = ContainerLifecycle & NetworkAttachment & ContainerExec

/** The fault a step describes, aimed at the containers its selector picked when the step ran. */
export function buildFault(step: FaultStep, targets: readonly ObservedInstance[], topology: Topology, engine: FaultEngine, now: () => number): Fault {
  const containers = targets.map((t) => ({id: t.container!.id, name: t.container!.name}))
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
      return powerCutFault(engine, step.target.site!, containers, now)
    case 'isolate':
      return isolateFault(
        engine,
        step.target.site!,
        networkName(topology.project, undefined),
        targets.map((t) => ({id: t.container!.id, name: t.container!.name, aliases: [t.instance.hostname]})),
      )
    case 'process-kill':
      return processKillFault(engine, containers, step.process, step.signal)
    case 'disk-full':
      return diskFullFault(engine, containers, step.path!, step.max_fill)
  }
}
