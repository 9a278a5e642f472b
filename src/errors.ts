/**
 * Every error a user can see, and the exit code it maps to. Exit codes are
 * computed here and nowhere else; every command's `--help` (e.g. `firedrill run --help`) and the README list them.
 */

export const ExitCode = {
  /** Every objective of every drill was met. */
  Pass: 0,
  /** At least one objective was missed. */
  ObjectiveMissed: 1,
  /** Bad input or an environment the user must fix (config, flags, ports, names, images). Nothing was started. */
  BadInput: 2,
  /** The Docker engine could not be reached when the command started; nothing was done. */
  EngineUnavailable: 3,
  /**
   * The drill could not be completed: the topology never became healthy, a step could not be done, the
   * drill passed its deadline, or the engine was lost mid-drill (then faults may be left: firedrill cleanup).
   */
  Aborted: 4,
  /** A bug in firedrill. */
  Internal: 70,
  /** Interrupted by Ctrl-C (SIGINT); every fault was reverted first. */
  Interrupted: 130,
  /** Terminated by SIGTERM; every fault was reverted first. */
  Terminated: 143,
} as const
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode]

export const EXIT_CODE_HELP = [
  '0    every objective met',
  '1    an objective was missed',
  '2    bad input or environment (nothing was started)',
  '3    Docker engine unreachable (nothing was started)',
  '4    drill aborted: not completed, past its deadline, or engine lost mid-drill',
  '70   internal error (a bug in firedrill)',
  '130  interrupted (Ctrl-C), faults reverted',
  '143  terminated (SIGTERM), faults reverted',
].join('\n')

export abstract class FiredrillError extends Error {
  abstract readonly exitCode: ExitCode
  abstract readonly code: string
  readonly suggestions: string[]

  constructor(message: string, suggestions: string[] = [], options?: {cause?: unknown}) {
    super(message, options)
    this.name = new.target.name
    this.suggestions = suggestions
  }

  toJSON(): Record<string, unknown> {
    return {code: this.code, message: this.message, exit_code: this.exitCode, suggestions: this.suggestions}
  }
}

/** One problem in one input file, located as precisely as the parser allows. */
export interface ConfigIssue {
  file: string
  line?: number
  column?: number
  /** Dotted path of the field, e.g. `steps[1].target.role`. Empty for the whole document. */
  field: string
  message: string
}

export function formatConfigIssue(issue: ConfigIssue): string {
  const where = [issue.file, issue.line, issue.column].filter((p) => p !== undefined).join(':')
  const field = issue.field ? `${issue.field}: ` : ''
  return `${where}: ${field}${issue.message}`
}

/** Input the user can fix: the file, line and field, and what to do. */
export class ConfigError extends FiredrillError {
  readonly exitCode = ExitCode.BadInput
  readonly code = 'config_invalid'
  readonly issues: ConfigIssue[]

  constructor(issues: ConfigIssue[], suggestions: string[] = []) {
    super(issues.map(formatConfigIssue).join('\n'), suggestions)
    this.issues = issues
  }

  override toJSON(): Record<string, unknown> {
    return {...super.toJSON(), issues: this.issues}
  }
}

/** Something on this machine is in the way (a port, a container name, a missing image); the user can fix it. */
export class EnvironmentError extends FiredrillError {
  readonly exitCode = ExitCode.BadInput
  readonly code = 'environment'
}

export class EngineUnavailableError extends FiredrillError {
  readonly exitCode = ExitCode.EngineUnavailable
  readonly code = 'engine_unavailable'
}

/** Another firedrill is using the topology: one drill per topology at a time. */
export class ProjectBusyError extends FiredrillError {
  readonly exitCode = ExitCode.BadInput
  readonly code = 'busy'
}

/** The drill started but could not be completed; whatever it changed has been reverted. */
export class DrillAbortedError extends FiredrillError {
  readonly exitCode = ExitCode.Aborted
  readonly code = 'aborted'
}

/** The drill ran past its deadline: the steps were stopped as on Ctrl-C and the faults reverted. */
export class DeadlineExceededError extends FiredrillError {
  readonly exitCode = ExitCode.Aborted
  readonly code = 'deadline_exceeded'
}

/**
 * The engine stopped answering after the drill had started: what could not be reverted stays in place
 * (the crash journal says what), and the run is aborted with no figures. The remedy is cleanup once the
 * engine is back.
 */
export class EngineLostError extends FiredrillError {
  readonly exitCode = ExitCode.Aborted
  readonly code = 'engine_lost'
}

export class InterruptedError extends FiredrillError {
  readonly code = 'interrupted'
  readonly exitCode: ExitCode

  constructor(readonly signal: 'SIGINT' | 'SIGTERM') {
    super(`interrupted by ${signal}; what the command had changed was undone`)
    this.exitCode = signal === 'SIGINT' ? ExitCode.Interrupted : ExitCode.Terminated
  }
}

/** Pass every text of an error the user may see (message, stack, suggestions) through `clean`, in place: secrets redacted. */
export function cleanErrorText(error: unknown, clean: (text: string) => string): void {
  if (!(error instanceof Error)) return
  error.message = clean(error.message)
  if (error.stack) error.stack = clean(error.stack)
  if (error instanceof FiredrillError) error.suggestions.splice(0, Infinity, ...error.suggestions.map((s) => clean(s)))
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}
