import {Command, Flags, type Interfaces} from '@oclif/core'

import {DURATION_HINT, parseDuration} from '../config/duration.js'
import {EXIT_CODE_HELP, ExitCode, FiredrillError} from '../errors.js'
import {engineFor} from '../engine/connect.js'
import type {Engine} from '../engine/engine.js'
import type {Topology} from '../model/topology.js'
import {DEFAULT_TOPOLOGY} from '../paths.js'
import {REPORTERS} from '../report/reporters.js'
import type {Progress} from '../util/progress.js'
import {listrProgress, progressMode} from './listr-progress.js'
// Registers the probe kinds' schemas (not their client libraries): every command may load drills; the runner registers the kinds themselves.
import '../probes/schemas.js'
import '../faults/schemas.js'

export type BaseFlags<T extends typeof Command> = Interfaces.InferredFlags<(typeof BaseCommand)['baseFlags'] & T['flags']>

/** Shared flags, error rendering and exit codes for every firedrill command. */
export abstract class BaseCommand<T extends typeof Command> extends Command {
  static override enableJsonFlag = true

  static override baseFlags = {
    ci: Flags.boolean({
      description: 'Non-interactive: plain log lines, no prompts, no animation (also when CI is set or stderr is not a terminal).',
      helpGroup: 'GLOBAL',
    }),
  }

  static exitCodeHelp = EXIT_CODE_HELP

  protected flags!: BaseFlags<T>
  private engineInstance?: Engine

  override async init(): Promise<void> {
    await super.init()
    const {flags} = await this.parse({
      flags: this.ctor.flags,
      baseFlags: (this.ctor as typeof BaseCommand).baseFlags,
      enableJsonFlag: this.ctor.enableJsonFlag,
      args: this.ctor.args,
      strict: this.ctor.strict,
    })
    this.flags = flags as BaseFlags<T>
  }

  /**
   * The engine, once it has answered a ping: unreachable means one sentence and exit 3 before any progress is
   * shown. With topologies whose sites run on other engines (`engines:`), one client per engine, every one
   * pinged (the one that does not answer is named).
   */
  protected async engine(topologies: readonly Topology[] = []): Promise<Engine> {
    if (!this.engineInstance) {
      const engine = engineFor(topologies)
      this.engineInstance = engine
      await engine.info()
    }
    return this.engineInstance
  }

  /**
   * A warning on stderr. Plain (--ci, CI set, stderr not a terminal): one line, `Warning: …`, whatever
   * its length, so a CI log keeps it whole and a grep finds it (oclif wraps at the terminal's width and
   * indents with " ›"). On a terminal, oclif's rendering. Nothing under --json, as with oclif.
   */
  override warn(input: string | Error): string | Error {
    if (this.jsonEnabled()) return input
    if (progressMode({json: false, ci: Boolean(this.flags?.ci)}) !== 'plain') return super.warn(input)
    const text = typeof input === 'string' ? input : input.message
    process.stderr.write(`Warning: ${text.replace(/\s*\n\s*/g, ' ').trim()}\n`)
    return input
  }

  /**
   * `concurrent`: several drills report at once (run --parallel). One animated display cannot redraw
   * phases of several drills in place, so a terminal gets the plain lines CI gets, each prefixed with its drill.
   */
  protected progress(opts: {concurrent?: boolean} = {}): Progress {
    const mode = progressMode({json: this.jsonEnabled(), ci: Boolean(this.flags.ci)})
    return listrProgress(opts.concurrent && mode === 'live' ? 'plain' : mode)
  }

  protected override async catch(err: Error & {exitCode?: number}): Promise<void> {
    if (err instanceof FiredrillError) {
      process.exitCode = err.exitCode
      if (this.jsonEnabled()) {
        this.logJson({error: err.toJSON()})
        return
      }
      const lines = [`Error: ${err.message}`]
      if (err.suggestions.length > 0) lines.push('Try this:', ...err.suggestions.map((s) => `  ${s}`))
      process.stderr.write(`${lines.join('\n')}\n`)
      return
    }
    // oclif's own errors (bad flags, missing arguments: exit 2) carry their exit code.
    if ((err as {oclif?: {exit?: number}}).oclif?.exit !== undefined) return super.catch(err)
    process.exitCode = ExitCode.Internal
    if (this.jsonEnabled()) {
      this.logJson({error: {code: 'internal', message: err.message, exit_code: ExitCode.Internal}})
      return
    }
    process.stderr.write(`Error: ${err.message}\nThis is a bug in firedrill; please report it with the output of the command run with DEBUG=firedrill*.\n${err.stack ?? ''}\n`)
  }

  protected override async finally(err: Error | undefined): Promise<void> {
    this.engineInstance?.close()
    return super.finally(err)
  }
}

export const topologyFlag = Flags.string({
  char: 't',
  description: 'Topology file (YAML). Default: the embedded bank-3site topology.',
  default: DEFAULT_TOPOLOGY,
  defaultHelp: async () => 'fixtures/topologies/bank-3site/topology.yaml',
})

export const buildArgFlag = Flags.string({
  description: 'Docker build argument for images the topology builds, KEY=VALUE (repeatable), e.g. BASE_IMAGE=debian:bookworm-slim.',
  multiple: true,
  default: [],
})

/** The reporters of a run or a sweep: the table or JSON on stdout, the others as files in the bundle. */
export const reporterFlag = Flags.string({
  char: 'r',
  description: 'Reporters, comma-separated: table (stdout; on stderr when json takes stdout), json (stdout), junit, markdown, html (files in the bundle under reports/).',
  options: [...REPORTERS],
  multiple: true,
  delimiter: ',',
  default: ['table'],
})

/** A flag holding a duration as drill files write it (`30s`, `10m`), parsed to milliseconds; zero or less is refused (exit 2). */
export const durationFlag = Flags.custom<number>({
  helpValue: 'DURATION',
  async parse(input) {
    const ms = parseDuration(input)
    if (ms === undefined || ms <= 0) throw new BadFlagError(`"${input}" is not ${DURATION_HINT} (greater than zero)`)
    return ms
  },
})

export function parseBuildArgs(pairs: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {}
  for (const pair of pairs) {
    const eq = pair.indexOf('=')
    if (eq <= 0) throw new BadFlagError(`--build-arg "${pair}" is not KEY=VALUE`)
    out[pair.slice(0, eq)] = pair.slice(eq + 1)
  }
  return out
}

export class BadFlagError extends FiredrillError {
  readonly exitCode = ExitCode.BadInput
  readonly code = 'bad_flag'
}
