/** How long-running work reports itself; the CLI renders it with listr2, tests and --json stay silent. */
export interface Progress {
  /** Run one named phase; `update` replaces the phase's one-line status. */
  phase<T>(title: string, fn: (update: (message: string) => void) => Promise<T>): Promise<T>
  /** A line worth keeping in the log (CI reads these). */
  log(message: string): void
}

export const silentProgress: Progress = {
  phase: (_title, fn) => fn(() => {}),
  log: () => {},
}
