import {cleanErrorText} from '../errors.js'

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

/**
 * The same display with every title, status line, log line and failure passed through `clean` first
 * (secrets redacted). A phase's error is cleaned where it is thrown, so every later printing of it is too.
 */
export function redactedProgress(progress: Progress, clean: (text: string) => string): Progress {
  return {
    phase: (title, fn) =>
      progress.phase(clean(title), async (update) => {
        try {
          return await fn((message) => update(clean(message)))
        } catch (error) {
          cleanErrorText(error, clean)
          throw error
        }
      }),
    log: (message) => progress.log(clean(message)),
  }
}

/**
 * The same display with every title, status line and log line prefixed (`[p1 kill-primary] `), so the
 * lines of drills running side by side can be told apart.
 */
export function prefixedProgress(progress: Progress, prefix: string): Progress {
  return {
    phase: (title, fn) => progress.phase(`${prefix}${title}`, (update) => fn((message) => update(`${prefix}${message}`))),
    log: (message) => progress.log(`${prefix}${message}`),
  }
}
