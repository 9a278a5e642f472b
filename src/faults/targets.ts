import type {TargetSelector} from '../model/fault-spec.js'
import type {ContainerSummary} from '../engine/engine.js'
import type {ObservedInstance} from '../topology/observe.js'

/** An instance whose container is running now: what a fault or a command acts on. */
export type RunningTarget = ObservedInstance & {container: ContainerSummary}

export function isRunning(o: ObservedInstance): o is RunningTarget {
  return o.container?.state === 'running'
}

/** The running containers a selector picks now (a role is whoever holds it at this moment). */
export function selectTargets(selector: TargetSelector, instances: readonly ObservedInstance[]): RunningTarget[] {
  return instances.filter(isRunning).filter(
    (o) =>
      (selector.service === undefined || o.instance.service === selector.service) &&
      (selector.site === undefined || o.instance.site === selector.site) &&
      (selector.role === undefined || o.role === selector.role),
  )
}

export function describeSelector(selector: TargetSelector): string {
  return Object.entries(selector)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ')
}
