/** Reverse-DNS labels on everything firedrill creates; lifecycle finds resources by these, never by name. */
export const LABEL = {
  project: 'io.firedrill.project',
  site: 'io.firedrill.site',
  service: 'io.firedrill.service',
  run: 'io.firedrill.run',
  /** Which kind of thing firedrill made this for: `topology` (networks, containers, volumes of `up`). */
  role: 'io.firedrill.role',
  version: 'io.firedrill.version',
} as const

export type Labels = Record<string, string>

export function projectFilter(project: string): string[] {
  return [`${LABEL.project}=${project}`]
}
