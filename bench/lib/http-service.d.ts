export const SERVICE_PY: string
export function FORGET_PY(n: number): string
export function httpServiceTopology(project: string): string
export function httpFreezeDrill(opts: {topology: string; outageS: number; intervalMs: number; timeoutMs?: number; connRto?: string}): string
export function httpLossDrill(opts: {topology: string; lost: number; intervalMs?: number}): string
