import net from 'node:net'

import {endpointOf} from '../../model/reach.js'
import type {Clock} from '../../util/time.js'
import type {ProbeNode} from '../probe.js'
import {inOrder, SamplingProbe, type Attempt} from '../sampling.js'
import type {TcpSpec} from './schema.js'

/**
 * One TCP connection per interval to the first instance that accepts it, in the declared order
 * (client-side failover); with `banner`, the server's first bytes must match before the timeout.
 * Refused or unreachable everywhere, or no banner in time: failed (a check writes nothing).
 */
export class TcpProbe extends SamplingProbe {
  private readonly banner?: RegExp

  constructor(
    private readonly spec: TcpSpec,
    private readonly nodes: () => Promise<ProbeNode[]>,
    clock: Clock,
  ) {
    super(clock, spec.interval, spec.timeout)
    this.banner = spec.banner === undefined ? undefined : new RegExp(spec.banner)
  }

  protected async attempt(_seq: number, signal: AbortSignal): Promise<Attempt> {
    const nodes = inOrder(await this.nodes(), this.spec.order)
    if (nodes.length === 0) return {outcome: 'failed', error: `no running instance of ${this.spec.service}`}
    const errors: string[] = []
    for (const node of nodes) {
      if (signal.aborted) break
      const at = await endpointOf(node, this.spec.port)
      const r = await connect(at.host, at.port, this.banner, signal)
      if (r.connected) return r.error === undefined ? {outcome: 'ok', node: node.name} : {outcome: 'failed', node: node.name, error: r.error}
      errors.push(`${node.name}: ${r.error}`)
    }
    if (signal.aborted && errors.length < nodes.length) errors.push(String(signal.reason instanceof Error ? signal.reason.message : signal.reason))
    return {outcome: 'failed', error: errors.join('; ')}
  }
}

/** Open a connection (and read a banner); connected says whether the server accepted it, error why it was not ok. */
export function connect(host: string, port: number, banner: RegExp | undefined, signal: AbortSignal): Promise<{connected: boolean; error?: string}> {
  return new Promise((resolve) => {
    const socket = net.connect({host, port})
    let connected = false
    let received = ''
    const done = (r: {connected: boolean; error?: string}) => {
      signal.removeEventListener('abort', onAbort)
      socket.destroy()
      resolve(r)
    }
    const onAbort = () => done({connected, error: connected && banner ? `no banner matching /${banner.source}/ in time (got ${JSON.stringify(received.slice(0, 80))})` : 'no connection in time'})
    if (signal.aborted) return onAbort()
    signal.addEventListener('abort', onAbort, {once: true})
    socket.once('connect', () => {
      connected = true
      if (!banner) done({connected})
    })
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1')
      if (banner?.test(received)) done({connected})
    })
    socket.once('end', () => done({connected, error: `closed by the server before a banner matching /${banner?.source}/ (got ${JSON.stringify(received.slice(0, 80))})`}))
    // `on`, not `once`: a second error after the first (a reset while closing) must not go unhandled.
    socket.on('error', (error: NodeJS.ErrnoException) => done({connected, error: error.code ?? error.message}))
  })
}
