export function freezeDrill(opts: {topology: string; outageS: number; intervalMs: number; timeoutMs?: number; stableSamples?: number}): string
export const GATE_SQL: string
export function lossDrill(opts: {topology: string; lost: number; intervalMs?: number; name?: string}): string
export function lossTopology(embeddedText: string): string
export function mariadbReadOnlyRoles(topologyText: string, readyWhen: string): string
