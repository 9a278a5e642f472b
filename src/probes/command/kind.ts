import type {Clock} from '../../util/time.js'
import type {ProbeContext, ProbeKind} from '../probe.js'
import {SamplingProbe, type Attempt} from '../sampling.js'
import {commandCapabilities, commandSchema, type CommandSpec} from './schema.js'

/** Runs its argv each interval; exit 0 within the timeout is ok, anything else (an exit code, the timeout, no container to run in) failed. */
export class CommandProbe extends SamplingProbe {
  private readonly where: NonNullable<CommandSpec['in']>

  constructor(
    private readonly spec: CommandSpec,
    private readonly ctx: Pick<ProbeContext, 'exec'>,
    clock: Clock,
  ) {
    super(clock, spec.interval, spec.timeout)
    this.where = spec.in ?? {service: spec.service}
  }

  protected async attempt(_seq: number, signal: AbortSignal): Promise<Attempt> {
    const node = this.where === 'host' ? 'host' : undefined
    const r = await this.ctx.exec(this.spec.argv, this.where, this.spec.timeout, signal)
    if (r.timedOut) return {outcome: 'failed', node, error: `${this.spec.argv[0]} did not finish within ${this.spec.timeout} ms`}
    if (r.exitCode === 0) return {outcome: 'ok', node}
    const said = (r.stderr || r.stdout).trim().split('\n').at(-1)?.slice(0, 160) ?? ''
    return {outcome: 'failed', node, error: `exit ${r.exitCode}${said ? `: ${said}` : ''}`}
  }
}

/** A command: an argv run on the host or in a container a target picks; exit 0 within the timeout → RTO, impact. */
export const commandKind: ProbeKind<typeof commandSchema> = {
  kind: 'command',
  schema: commandSchema,
  capabilities: commandCapabilities,
  create: (spec, ctx) => new CommandProbe(spec, ctx, ctx.clock),
}
