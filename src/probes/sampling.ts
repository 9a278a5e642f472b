import type {Sample} from '../model/sample.js'
import type {Clock} from '../util/time.js'
import type {Probe} from './probe.js'

/** What one attempt found: the sample's outcome, the node that answered (or was asked), and why it was not ok. */
export type Attempt = Pick<Sample, 'outcome' | 'node' | 'error'>

/**
 * The sampling loop every check kind shares (http, tcp, command): one attempt per interval on the
 * runner's clock, each bounded by the probe's timeout, on a fixed grid. An attempt that overran skips
 * the ticks it covered rather than bunching samples up; one a little late for its tick starts at once
 * (the same rule as the postgres write probe, bench/rto-accuracy.js). `attempt` gets the sample's
 * sequence number and a signal aborted at the timeout; it classifies its own outcome (a timeout after
 * a request was sent is indeterminate, before it was sent failed).
 */
export abstract class SamplingProbe implements Probe {
  readonly samples: Sample[] = []
  /** A sample in flight across a recovery may place it up to one timeout early; one stuck at it, one timeout and one interval late. */
  readonly resolutionMs: number
  private seq = 0
  private loop?: Promise<void>
  private readonly stopping = new AbortController()

  protected constructor(
    protected readonly clock: Clock,
    private readonly intervalMs: number,
    protected readonly timeoutMs: number,
  ) {
    this.resolutionMs = timeoutMs + intervalMs
  }

  protected abstract attempt(seq: number, signal: AbortSignal): Promise<Attempt>

  /** Checks before sampling starts; throws when the probe cannot run at all. Default: nothing. */
  protected async prepare(): Promise<void> {}

  async start(): Promise<void> {
    await this.prepare()
    this.loop = this.run()
  }

  async stop(): Promise<void> {
    this.stopping.abort()
    await this.loop
  }

  async close(): Promise<void> {
    await this.stop()
  }

  private async run(): Promise<void> {
    const interval = this.intervalMs
    let next = this.clock.now()
    while (!this.stopping.signal.aborted) {
      this.samples.push(await this.sampleOnce())
      next += interval
      const late = this.clock.now() - next
      if (late > interval / 2) next += Math.ceil(late / interval) * interval
      await this.clock.sleep(Math.max(0, next - this.clock.now()), this.stopping.signal).catch(() => {})
    }
  }

  private async sampleOnce(): Promise<Sample> {
    const seq = ++this.seq
    const start = this.clock.now()
    const timeout = new AbortController()
    const timer = new AbortController()
    void this.clock.sleep(this.timeoutMs, timer.signal).then(
      () => timeout.abort(new Error(`no answer within ${this.timeoutMs} ms`)),
      () => {},
    )
    try {
      const found = await this.attempt(seq, timeout.signal)
      return {seq, start, end: this.clock.now(), ...found}
    } catch (error) {
      return {seq, start, end: this.clock.now(), outcome: 'failed', error: error instanceof Error ? error.message : String(error)}
    } finally {
      timer.abort()
    }
  }
}

/** Nodes in the order a client fails over through them: the sites of `order` first, in that order, then the rest as the topology lists them. */
export function inOrder<N extends {site?: string}>(nodes: readonly N[], order: readonly string[] | undefined): N[] {
  if (!order || order.length === 0) return [...nodes]
  const rank = (n: N) => {
    const i = n.site === undefined ? -1 : order.indexOf(n.site)
    return i === -1 ? order.length : i
  }
  return [...nodes].sort((a, b) => rank(a) - rank(b))
}
