/** Names every layer uses: cluster roles, fault kinds, step kinds, disruptions. Shared vocabulary: this module imports nothing else from src/. */

/** The roles a cluster manager reports for an instance (Patroni's names, normalised). */
export const CLUSTER_ROLES = ['leader', 'sync_standby', 'replica'] as const
export type ClusterRole = (typeof CLUSTER_ROLES)[number]

export const FAULT_KINDS = ['kill', 'stop', 'pause', 'restart', 'power-cut', 'host-power-cut', 'isolate', 'process-kill', 'disk-full', 'partition', 'degrade'] as const
export type FaultKind = (typeof FAULT_KINDS)[number]

export const STEP_KIND_NAMES = ['sleep', 'fault', 'wait', 'heal', 'runbook', 'assert', 'manual'] as const
export type StepKindName = (typeof STEP_KIND_NAMES)[number]

/** What a drill disrupts, from the smallest blast radius to the largest; a policy tier may set objectives per disruption. */
export const DISRUPTIONS = ['process', 'node', 'site', 'region'] as const
export type Disruption = (typeof DISRUPTIONS)[number]
