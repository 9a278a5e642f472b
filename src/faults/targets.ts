import type {TargetSelector} from '../config/drill.js'
import type {ObservedInstance} from '../topology/observe.js'

/** The running containers a selector picks now (a role is whoever holds it at this moment). */
export function selectTargets(selector: TargetSelector, instances: readonly ObservedInstance[]): ObservedInstance[] {
  return instances.filter(
    (o) =>
      o.container?.state === 'running' &&
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
