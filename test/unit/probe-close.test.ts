import {createServer, type Server, type Socket} from 'node:net'

import {afterEach, describe, expect, it} from 'vitest'

import {postgresWriteSchema as probeSchema} from '../../src/probes/postgres/schema.js'
import {PostgresWriteProbe} from '../../src/probes/postgres/write-probe.js'
import {ReplicationLagWatch} from '../../src/probes/postgres/lag-watch.js'
import {SplitBrainWatch} from '../../src/probes/postgres/split-brain-watch.js'

/**
 * A node that takes connections and never answers, as a frozen or cut-off PostgreSQL does: the
 * kernel completes the handshake, nothing replies to the startup message.
 */
async function silentNode(): Promise<{server: Server; port: number; open: Set<Socket>}> {
  const open = new Set<Socket>()
  const server = createServer((socket) => {
    open.add(socket)
    socket.on('close', () => open.delete(socket))
    socket.resume() // read (and ignore) what arrives, so that the client's close is seen
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {server, port: (server.address() as {port: number}).port, open}
}

async function until(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) return false
    await new Promise((r) => setTimeout(r, 10))
  }
  return true
}

// An interrupted run once hung for ten minutes after writing its evidence (chaos seed 587906, trial
// 14): a connection to the isolated node, still being made when the probe closed, kept the process alive.
describe('closing the probes leaves no connection open, even one still being made to a node that does not answer', () => {
  let node: Awaited<ReturnType<typeof silentNode>>
  afterEach(() => node.server.close())

  const spec = (port: number) => probeSchema.parse({kind: 'postgres-write', service: 'postgres', port, interval: '50ms', timeout: '200ms'})
  const nodes = async () => [{name: 'frozen', address: '127.0.0.1'}]

  it('write probe: close() drops the connection attempt at once, not after its 5 s patience', async () => {
    node = await silentNode()
    const probe = new PostgresWriteProbe(spec(node.port), 'run', nodes)
    const started = probe.start()
    expect(await until(() => node.open.size === 1, 2000), 'the attempt is waiting on the silent node').toBe(true)
    const t0 = Date.now()
    await probe.close()
    await expect(started).rejects.toThrow(/no node of service postgres accepts writes/)
    expect(await until(() => node.open.size === 0, 1000), 'connection closed').toBe(true)
    expect(Date.now() - t0).toBeLessThan(1000)
  })

  it('split-brain watch and replication-lag watch: stop() leaves nothing open', async () => {
    node = await silentNode()
    const watch = new SplitBrainWatch(spec(node.port), 'run', nodes)
    const lag = new ReplicationLagWatch(spec(node.port), ['busan'], 50, nodes)
    await watch.start()
    lag.start()
    expect(await until(() => node.open.size >= 2, 2000), 'both are connecting').toBe(true)
    await Promise.all([watch.stop(), lag.stop()])
    expect(await until(() => node.open.size === 0, 1000), `still open: ${node.open.size}`).toBe(true)
  })
})

describe('the split-brain watch follows a node to its new address', () => {
  let node: Awaited<ReturnType<typeof silentNode>>
  afterEach(() => node.server.close())

  it('a node it cannot reach is listed again (at most once a second), and written to where it is now', async () => {
    node = await silentNode()
    const spec = probeSchema.parse({kind: 'postgres-write', service: 'postgres', port: node.port, interval: '50ms', timeout: '200ms'})
    // Started again with another address, as a container a network gave a new one: nothing answers at the old.
    let listed = 0
    const nodes = async () => [{name: 'moved', address: ++listed === 1 ? '127.0.0.2' : '127.0.0.1'}]
    const watch = new SplitBrainWatch(spec, 'run', nodes)
    await watch.start()
    expect(await until(() => node.open.size >= 1, 3000), 'the watch reached the node at its new address').toBe(true)
    expect(listed).toBeGreaterThanOrEqual(2)
    await watch.stop()
    expect(await until(() => node.open.size === 0, 1000), `still open: ${node.open.size}`).toBe(true)
  })
})
