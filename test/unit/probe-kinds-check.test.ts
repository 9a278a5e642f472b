import http from 'node:http'
import net from 'node:net'
import type {AddressInfo} from 'node:net'

import {afterEach, describe, expect, it} from 'vitest'

import {CommandProbe} from '../../src/probes/command/kind.js'
import {commandSchema} from '../../src/probes/command/schema.js'
import {HttpProbe} from '../../src/probes/http/probe.js'
import {httpSchema} from '../../src/probes/http/schema.js'
import type {ProbeExecResult, ProbeNode} from '../../src/probes/probe.js'
import type {SamplingProbe} from '../../src/probes/sampling.js'
import {TcpProbe} from '../../src/probes/tcp/probe.js'
import {tcpSchema} from '../../src/probes/tcp/schema.js'
import {systemClock} from '../../src/util/time.js'

// Each check kind's sample classification against servers on loopback (no Docker): what is ok, failed
// or indeterminate, client-side failover, and the http write probe's read-back.
const closers: (() => Promise<void>)[] = []
afterEach(async () => {
  while (closers.length > 0) await closers.pop()!()
})

async function listen(server: net.Server | http.Server, host = '127.0.0.1'): Promise<number> {
  // A client that hangs up mid-answer (a probe at its timeout) resets the server's socket: not this test's concern.
  server.on('connection', (socket: net.Socket) => socket.on('error', () => {}))
  await new Promise<void>((resolve) => server.listen(0, host, resolve))
  closers.push(
    () =>
      new Promise<void>((resolve) => {
        if ('closeAllConnections' in server) server.closeAllConnections()
        server.close(() => resolve())
      }),
  )
  return (server.address() as AddressInfo).port
}

/** A port nothing listens on (bound, then closed). */
async function closedPort(): Promise<number> {
  const s = net.createServer()
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve))
  const {port} = s.address() as AddressInfo
  await new Promise<void>((resolve) => s.close(() => resolve()))
  return port
}

async function samplesOf(probe: SamplingProbe, n: number) {
  await probe.start()
  const deadline = Date.now() + 5000
  while (probe.samples.length < n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10))
  await probe.stop()
  return probe.samples.slice(0, n)
}

const nodes =
  (...list: ProbeNode[]) =>
  async () =>
    list

describe('tcp probe', () => {
  it('ok when a connection opens; failed when refused; a banner must match', async () => {
    const server = net.createServer((socket) => socket.end('+HELLO firedrill\r\n'))
    const port = await listen(server)
    const spec = (extra: object) => tcpSchema.parse({kind: 'tcp', service: 's', port, interval: '40ms', timeout: '300ms', ...extra})
    const probe = new TcpProbe(spec({}), nodes({name: 's-1', address: '127.0.0.1'}), systemClock)
    // Each sample waits up to its timeout: a recovery is placed within timeout + interval, not the interval alone.
    expect(probe.resolutionMs).toBe(340)
    const ok = await samplesOf(probe, 3)
    expect(ok.map((s) => [s.outcome, s.node])).toEqual([['ok', 's-1'], ['ok', 's-1'], ['ok', 's-1']])
    const banner = await samplesOf(new TcpProbe(spec({banner: '^\\+HELLO'}), nodes({name: 's-1', address: '127.0.0.1'}), systemClock), 2)
    expect(banner.map((s) => s.outcome)).toEqual(['ok', 'ok'])
    const wrong = await samplesOf(new TcpProbe(spec({banner: '^SSH-'}), nodes({name: 's-1', address: '127.0.0.1'}), systemClock), 1)
    expect(wrong[0]).toMatchObject({outcome: 'failed', node: 's-1', error: expect.stringMatching(/closed by the server before a banner matching/)})
    const refused = await samplesOf(new TcpProbe(spec({port: await closedPort()}), nodes({name: 's-1', address: '127.0.0.1'}), systemClock), 2)
    expect(refused.map((s) => [s.outcome, s.error])).toEqual([
      ['failed', 's-1: ECONNREFUSED'],
      ['failed', 's-1: ECONNREFUSED'],
    ])
  })

  it('fails over to the next instance in the declared order, and a silent server is a failure at the timeout', async () => {
    const server = net.createServer(() => {})
    const port = await listen(server)
    // 127.0.0.2 is loopback too; nothing listens there on this port.
    const spec = tcpSchema.parse({kind: 'tcp', service: 's', port, interval: '40ms', timeout: '200ms', order: ['b', 'a']})
    const two = nodes({name: 's-a', address: '127.0.0.1', site: 'a'}, {name: 's-b', address: '127.0.0.2', site: 'b'})
    const [s] = await samplesOf(new TcpProbe(spec, two, systemClock), 1)
    expect(s).toMatchObject({outcome: 'ok', node: 's-a'})
    const silent = tcpSchema.parse({kind: 'tcp', service: 's', port, interval: '40ms', timeout: '150ms', banner: 'x'})
    const [t] = await samplesOf(new TcpProbe(silent, nodes({name: 's-a', address: '127.0.0.1'}), systemClock), 1)
    expect(t).toMatchObject({outcome: 'failed', error: expect.stringMatching(/no banner matching \/x\/ in time/)})
    expect(t!.end - t!.start).toBeGreaterThanOrEqual(140)
  })
})

describe('http probe', () => {
  it('checks status (list or range) and body; refused is failed; no answer after sending is indeterminate', async () => {
    let status = 200
    let hang = false
    const server = http.createServer((req, res) => {
      if (hang) return
      res.writeHead(status, {'content-type': 'text/plain'}).end(req.url === '/health' ? 'ok: all good' : 'other')
    })
    const port = await listen(server)
    const probe = (extra: object) =>
      new HttpProbe(httpSchema.parse({kind: 'http', service: 'api', port, path: '/health', interval: '40ms', timeout: '250ms', ...extra}), 'run-1', nodes({name: 'api-1', address: '127.0.0.1'}), systemClock)
    expect((await samplesOf(probe({}), 2)).map((s) => [s.outcome, s.node])).toEqual([['ok', 'api-1'], ['ok', 'api-1']])
    expect((await samplesOf(probe({expect: {body: '^ok: '}}), 1))[0]?.outcome).toBe('ok')
    expect((await samplesOf(probe({expect: {body: 'nope'}}), 1))[0]).toMatchObject({outcome: 'failed', error: expect.stringMatching(/body does not match \/nope\//)})
    status = 503
    expect((await samplesOf(probe({}), 1))[0]).toMatchObject({outcome: 'failed', error: expect.stringMatching(/^HTTP 503, expected "200-299"/)})
    expect((await samplesOf(probe({expect: {status: [200, 503]}}), 1))[0]?.outcome).toBe('ok')
    expect((await samplesOf(probe({expect: {status: '500-599'}}), 1))[0]?.outcome).toBe('ok')
    hang = true
    const [late] = await samplesOf(probe({}), 1)
    expect(late).toMatchObject({outcome: 'indeterminate', error: expect.stringMatching(/after the request was sent/)})
    const refused = new HttpProbe(
      httpSchema.parse({kind: 'http', service: 'api', port: await closedPort(), interval: '40ms', timeout: '250ms'}),
      'run-1',
      nodes({name: 'api-1', address: '127.0.0.1'}),
      systemClock,
    )
    expect((await samplesOf(refused, 1))[0]).toMatchObject({outcome: 'failed', error: 'api-1: ECONNREFUSED'})
  })

  it('client-side failover: the first instance in order that takes the connection answers', async () => {
    const server = http.createServer((_req, res) => res.end('ok'))
    const port = await listen(server)
    const spec = httpSchema.parse({kind: 'http', service: 'api', port, interval: '40ms', timeout: '250ms', order: ['seoul', 'busan']})
    const two = nodes({name: 'api-busan', address: '127.0.0.1', site: 'busan'}, {name: 'api-seoul', address: '127.0.0.2', site: 'seoul'})
    expect((await samplesOf(new HttpProbe(spec, 'r', two, systemClock), 2)).map((s) => [s.outcome, s.node])).toEqual([
      ['ok', 'api-busan'],
      ['ok', 'api-busan'],
    ])
  })

  it('write + read: 2xx acknowledged, 502 indeterminate, 4xx failed; the read-back finds every acknowledged write still there (per seq or one listing)', async () => {
    const store = new Map<number, string>()
    const drop = new Set<number>()
    let answer: number | undefined
    let readStatus: number | undefined
    const server = http.createServer((req, res) => {
      let body = ''
      req.on('data', (c: Buffer) => (body += c.toString()))
      req.on('end', () => {
        const url = new URL(req.url!, 'http://x')
        if (req.method === 'POST' && url.pathname === '/messages') {
          if (answer) return res.writeHead(answer).end('{}')
          const m = JSON.parse(body) as {run: string; seq: number}
          if (m.run !== 'run-7') return res.writeHead(400).end('wrong run')
          if (!drop.has(m.seq)) store.set(m.seq, body)
          return res.writeHead(201, {'content-type': 'application/json'}).end(JSON.stringify({id: `${m.run}-${m.seq}`}))
        }
        if (readStatus) return res.writeHead(readStatus).end()
        const one = /^\/messages\/run-7-(\d+)$/.exec(url.pathname)
        if (one) return store.has(Number(one[1])) ? res.writeHead(200).end(store.get(Number(one[1]))) : res.writeHead(404).end()
        if (url.pathname === '/messages' && url.searchParams.get('run') === 'run-7') return res.writeHead(200).end(JSON.stringify({run: 'run-7', seqs: [...store.keys()].map(String)}))
        res.writeHead(404).end()
      })
    })
    const port = await listen(server)
    const spec = (read: object) =>
      httpSchema.parse({
        kind: 'http',
        service: 'api',
        port,
        interval: '30ms',
        timeout: '250ms',
        write: {path: '/messages', body: '{"run": "${run_id}", "seq": ${seq}, "text": "firedrill"}', headers: {'content-type': 'application/json'}},
        read,
      })
    const node = nodes({name: 'api-1', address: '127.0.0.1'})
    // Writes 3 and 5 are acknowledged but never stored: lost.
    drop.add(3)
    drop.add(5)
    const perSeq = new HttpProbe(spec({path: '/messages/${run_id}-${seq}'}), 'run-7', node, systemClock)
    const written = await samplesOf(perSeq, 6)
    expect(written.map((s) => s.outcome)).toEqual(['ok', 'ok', 'ok', 'ok', 'ok', 'ok'])
    const back = await perSeq.readBack(2000)
    expect([...back!.seqs].sort((a, b) => a - b)).toEqual(expect.arrayContaining([1, 2, 4, 6]))
    expect(back!.seqs.has(3) || back!.seqs.has(5)).toBe(false)
    expect(back!.node).toBe('api-1')
    // One listing request gives the same.
    store.clear()
    const listing = new HttpProbe(spec({path: '/messages?run=${run_id}', seqs: 'seqs'}), 'run-7', node, systemClock)
    await samplesOf(listing, 6)
    const listed = await listing.readBack(2000)
    expect([1, 2, 4, 6].every((s) => listed!.seqs.has(s))).toBe(true)
    expect(listed!.seqs.has(3) || listed!.seqs.has(5)).toBe(false)
    // A read that neither finds nor misses a write fails the read-back (unknown, never lost).
    readStatus = 500
    await expect(perSeq.readBack(2000)).rejects.toThrow(/neither found nor missed it: HTTP 500/)
    readStatus = undefined
    answer = 502
    expect((await samplesOf(new HttpProbe(spec({path: '/messages/${run_id}-${seq}'}), 'run-7', node, systemClock), 1))[0]).toMatchObject({outcome: 'indeterminate'})
    answer = 409
    expect((await samplesOf(new HttpProbe(spec({path: '/messages/${run_id}-${seq}'}), 'run-7', node, systemClock), 1))[0]).toMatchObject({outcome: 'failed', error: 'HTTP 409: {}'})
  })

  it('refuses what a client would refuse, before anything runs', () => {
    const bad = (extra: object) => httpSchema.safeParse({kind: 'http', service: 'api', ...extra}).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`)
    expect(bad({path: 'health'})).toEqual(['path: path must start with / and hold no whitespace (e.g. /health)'])
    expect(bad({expect: {body: '(unclosed'}})?.[0]).toMatch(/^expect.body: expect.body is not a valid regular expression/)
    expect(bad({expect: {status: '299-200'}})).toEqual(['expect.status: a status range goes from low to high'])
    expect(JSON.stringify(httpSchema.safeParse({kind: 'http', service: 'api', headers: {'bad header': 'x'}}).error?.issues)).toMatch(/a header name is a token/)
    expect(bad({write: {path: '/m', body: '{}'}})).toEqual(['read: write and read go together: the writes are read back to measure what was lost', 'write.body: each write must carry its sequence number: put ${seq} in write.body or write.path'])
    expect(bad({write: {path: '/m/${seq}'}, read: {path: '/m'}})).toEqual(['read.seqs: a read path without ${seq} is one listing request: name its JSON field of sequence numbers (seqs: seqs)'])
    expect(bad({url: 'ftp://x/'})?.[0]).toMatch(/^url: url must be an absolute http/)
    expect(bad({port: 70000})?.[0]).toMatch(/^port: /)
  })
})

describe('command probe', () => {
  it('exit 0 within the timeout is ok; another exit, or the timeout, is failed', async () => {
    const results: ProbeExecResult[] = [
      {exitCode: 0, timedOut: false, stdout: '', stderr: ''},
      {exitCode: 2, timedOut: false, stdout: '', stderr: 'pg_isready: no response\n'},
      {exitCode: null, timedOut: true, stdout: '', stderr: ''},
    ]
    const calls: unknown[] = []
    const spec = commandSchema.parse({kind: 'command', service: 'postgres', argv: ['pg_isready', '-q'], in: {service: 'postgres', role: 'leader'}, interval: '20ms', timeout: '1s'})
    const probe = new CommandProbe(spec, {exec: async (argv, where, timeoutMs) => (calls.push([argv, where, timeoutMs]), results.shift() ?? {exitCode: 0, timedOut: false, stdout: '', stderr: ''})}, systemClock)
    const s = await samplesOf(probe, 3)
    expect(s.map((x) => [x.outcome, x.error])).toEqual([
      ['ok', undefined],
      ['failed', 'exit 2: pg_isready: no response'],
      ['failed', 'pg_isready did not finish within 1000 ms'],
    ])
    expect(calls[0]).toEqual([['pg_isready', '-q'], {service: 'postgres', role: 'leader'}, 1000])
    expect(commandSchema.safeParse({kind: 'command', service: 'x', argv: 'pg_isready -q'}).error?.issues[0]?.message).toBe('argv must be a list of arguments (argv), not a shell string')
  })
})

describe('http probe addressed by url', () => {
  it('a url naming the probe service reaches its instances; any other url is used as is', async () => {
    const server = http.createServer((req, res) => res.writeHead(req.url === '/health?deep=1' ? 200 : 404).end())
    const port = await listen(server)
    const viaService = new HttpProbe(
      httpSchema.parse({kind: 'http', service: 'gateway', url: `http://gateway:${port}/health?deep=1`, interval: '40ms', timeout: '250ms'}),
      'r',
      nodes({name: 'gateway-edge', address: '127.0.0.1'}),
      systemClock,
    )
    expect((await samplesOf(viaService, 1))[0]).toMatchObject({outcome: 'ok', node: 'gateway-edge'})
    const asIs = new HttpProbe(httpSchema.parse({kind: 'http', service: 'gateway', url: `http://127.0.0.1:${port}/health?deep=1`, interval: '40ms', timeout: '250ms'}), 'r', nodes(), systemClock)
    expect((await samplesOf(asIs, 1))[0]).toMatchObject({outcome: 'ok', node: `127.0.0.1:${port}`})
  })
})
