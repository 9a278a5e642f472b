import {endpointOf} from '../../model/reach.js'
import type {Clock} from '../../util/time.js'
import type {ProbeNode} from '../probe.js'
import {inOrder, SamplingProbe, type Attempt} from '../sampling.js'
import {httpRequest, type HttpRequest, type HttpTry} from './client.js'
import {statusMatches, type HttpSpec} from './schema.js'

/** Replace `${seq}` and `${run_id}`. */
export function fill(template: string, vars: {seq?: number; runId: string}): string {
  return template.replaceAll('${run_id}', vars.runId).replaceAll('${seq}', vars.seq === undefined ? '${seq}' : String(vars.seq))
}

const READ_CONCURRENCY = 8

/**
 * The `http` probe. Checks (no `write`): ok when the answer has an expected status and body; any other
 * answer, or no connection, failed; a timeout or a cut-off after the request went out, indeterminate.
 * Writes (`write` + `read`): 2xx acknowledged; 502 and 504 (a gateway that forwarded the write and lost
 * the answer) and a cut-off or timeout after sending, indeterminate; any other answer, or no connection,
 * failed. After recovery `readBack` asks the API's own read endpoint for every write not known failed.
 */
export class HttpProbe extends SamplingProbe {
  private readonly bodyPattern?: RegExp

  constructor(
    private readonly spec: HttpSpec,
    private readonly runId: string,
    private readonly nodes: () => Promise<ProbeNode[]>,
    clock: Clock,
  ) {
    super(clock, spec.interval, spec.timeout)
    this.bodyPattern = spec.expect.body === undefined ? undefined : new RegExp(spec.expect.body)
  }

  protected async attempt(seq: number, signal: AbortSignal): Promise<Attempt> {
    const {spec} = this
    if (spec.write) {
      const w = spec.write
      const body = w.body === undefined ? undefined : fill(w.body, {seq, runId: this.runId})
      const {node, answer} = await this.send({method: w.method, path: fill(w.path, {seq, runId: this.runId}), headers: w.headers, body}, signal)
      if (answer.kind === 'not-sent') return {outcome: 'failed', node, error: answer.error}
      if (answer.kind === 'sent') return {outcome: 'indeterminate', node, error: answer.error}
      if (answer.status >= 200 && answer.status < 300) return {outcome: 'ok', node}
      if (answer.status === 502 || answer.status === 504) return {outcome: 'indeterminate', node, error: `HTTP ${answer.status}: a gateway may have forwarded the write`}
      return {outcome: 'failed', node, error: `HTTP ${answer.status}${snippet(answer.body)}`}
    }
    const {node, answer} = await this.send({method: spec.method, path: spec.path ?? '/', headers: spec.headers, body: spec.body}, signal)
    if (answer.kind === 'not-sent') return {outcome: 'failed', node, error: answer.error}
    if (answer.kind === 'sent') return {outcome: 'indeterminate', node, error: answer.error}
    if (!statusMatches(spec.expect.status, answer.status)) return {outcome: 'failed', node, error: `HTTP ${answer.status}, expected ${JSON.stringify(spec.expect.status)}${snippet(answer.body)}`}
    if (this.bodyPattern && !this.bodyPattern.test(answer.body)) return {outcome: 'failed', node, error: `HTTP ${answer.status}, body does not match /${spec.expect.body}/${snippet(answer.body)}`}
    return {outcome: 'ok', node}
  }

  /** Every write present now, read through the API (`read`); throws when a read neither finds nor misses a write. */
  async readBack(timeoutMs: number): Promise<{node: string; seqs: Set<number>} | undefined> {
    const read = this.spec.read
    if (!read) return undefined
    const deadline = new AbortController()
    const timer = new AbortController()
    void this.clock.sleep(timeoutMs, timer.signal).then(
      () => deadline.abort(new Error(`read-back took longer than ${timeoutMs} ms`)),
      () => {},
    )
    try {
      if (!read.path.includes('${seq}')) {
        const {node, answer} = await this.send({method: 'GET', path: fill(read.path, {runId: this.runId}), headers: read.headers}, deadline.signal)
        if (answer.kind !== 'answered') throw new Error(`read-back ${read.path}: ${answer.error}`)
        if (answer.status < 200 || answer.status >= 300) throw new Error(`read-back ${read.path}: HTTP ${answer.status}${snippet(answer.body)}`)
        return {node: node ?? this.spec.service, seqs: seqsIn(answer.body, read.seqs!)}
      }
      const wanted = this.samples.filter((s) => s.outcome !== 'failed').map((s) => s.seq)
      const present = new Set<number>()
      let servedBy: string | undefined
      let next = 0
      const worker = async () => {
        while (next < wanted.length) {
          const seq = wanted[next++]!
          const path = fill(read.path, {seq, runId: this.runId})
          let last = ''
          // A read that neither finds nor misses the write (no answer, a 5xx) is tried once more, then the read-back fails: unknown is never lost.
          for (let attempt = 0; attempt < 2; attempt++) {
            deadline.signal.throwIfAborted()
            const {node, answer} = await this.send({method: 'GET', path, headers: read.headers}, deadline.signal)
            if (answer.kind === 'answered' && answer.status >= 200 && answer.status < 300) {
              present.add(seq)
              servedBy ??= node
              last = ''
              break
            }
            if (answer.kind === 'answered' && answer.status === 404) {
              servedBy ??= node
              last = ''
              break
            }
            last = answer.kind === 'answered' ? `HTTP ${answer.status}` : answer.error
          }
          if (last) throw new Error(`read-back of write ${seq} (${path}) neither found nor missed it: ${last}`)
        }
      }
      await Promise.all(Array.from({length: READ_CONCURRENCY}, worker))
      return {node: servedBy ?? this.spec.service, seqs: present}
    } finally {
      timer.abort()
    }
  }

  /** One request, to `url`, or to the first instance (in `order`) that accepts a connection. */
  private async send(r: {method: string; path: string; headers?: Record<string, string>; body?: string}, signal: AbortSignal): Promise<{node?: string; answer: HttpTry}> {
    const base: Omit<HttpRequest, 'url'> = {method: r.method, headers: {...this.spec.headers, ...r.headers}, body: r.body}
    let port = this.spec.port
    let scheme = 'http:'
    let path = r.path
    if (this.spec.url !== undefined) {
      const fixed = new URL(this.spec.url)
      // With url the check's own path is the url's; writes and reads keep theirs, on the url's origin.
      const own = !this.spec.write && r.path === (this.spec.path ?? '/')
      if (fixed.hostname !== this.spec.service) {
        const url = own ? fixed : new URL(r.path, fixed.origin)
        return {node: fixed.host, answer: await httpRequest({...base, url}, signal)}
      }
      // A url naming the probe's own service (http://gateway:8080/health) reaches its instances as a client on the topology's networks would.
      port = fixed.port === '' ? (fixed.protocol === 'https:' ? 443 : 80) : Number(fixed.port)
      scheme = fixed.protocol
      if (own) path = `${fixed.pathname}${fixed.search}`
    }
    const nodes = inOrder(await this.nodes(), this.spec.order)
    if (nodes.length === 0) return {answer: {kind: 'not-sent', error: `no running instance of ${this.spec.service}`}}
    const errors: string[] = []
    for (const node of nodes) {
      const at = await endpointOf(node, port)
      const url = new URL(`${scheme}//${at.host.includes(':') ? `[${at.host}]` : at.host}:${at.port}${path}`)
      const answer = await httpRequest({...base, url, host: `${node.name}:${port}`}, signal)
      // Client-side failover: only an instance that did not take the connection is skipped.
      if (answer.kind !== 'not-sent') return {node: node.name, answer}
      errors.push(`${node.name}: ${answer.error}`)
      if (signal.aborted) break
    }
    return {answer: {kind: 'not-sent', error: errors.join('; ')}}
  }
}

/** The sequence numbers a listing answer names at a dotted JSON field (numbers, or strings of digits). */
export function seqsIn(body: string, field: string): Set<number> {
  let value: unknown
  try {
    value = JSON.parse(body)
  } catch {
    throw new Error(`read-back answer is not JSON: ${body.slice(0, 80)}`)
  }
  for (const key of field.split('.')) value = value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined
  if (!Array.isArray(value)) throw new Error(`read-back answer has no list at ${field}`)
  const seqs = new Set<number>()
  for (const v of value) {
    const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : Number.NaN
    if (!Number.isInteger(n)) throw new Error(`read-back answer's ${field} holds ${JSON.stringify(v)}, not a sequence number`)
    seqs.add(n)
  }
  return seqs
}

function snippet(body: string): string {
  const s = body.trim().replaceAll(/\s+/g, ' ').slice(0, 120)
  return s ? `: ${s}` : ''
}
