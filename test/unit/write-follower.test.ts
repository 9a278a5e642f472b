import {describe, expect, it} from 'vitest'

import type {ProbeNode} from '../../src/probes/probe.js'
import {WriteFollower, type WriteDriver} from '../../src/probes/write-follower.js'

/** A system of nodes in memory: which take writes, and the rows each holds. */
function fakeSystem(names: string[]) {
  const writable = new Set<string>()
  const rows = new Map(names.map((n) => [n, new Set<number>()]))
  const refused = Object.assign(new Error('read-only'), {definite: true})
  const onLost = new Map<string, (error: Error) => void>()
  const driver: WriteDriver<{node: string}> = {
    client: async (node, opts) => (onLost.set(node.name, opts.onLost), {node: node.name}),
    connect: async () => {},
    destroy: async () => {},
    writable: async (c) => ({writable: writable.has(c.node), why: 'read-only'}),
    prepare: async () => {},
    write: async (c, _run, seq) => {
      if (!writable.has(c.node)) throw refused
      rows.get(c.node)!.add(seq)
    },
    classify: (error) => ((error as {definite?: boolean}).definite ? 'failed' : 'indeterminate'),
    readBack: async (c) => new Set(rows.get(c.node)),
  }
  const nodes = async (): Promise<ProbeNode[]> => names.map((name) => ({name, address: name}))
  return {writable, rows, driver, nodes, lose: (node: string) => onLost.get(node)!(new Error('connection reset'))}
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe('WriteFollower', () => {
  it('follows a promotion; with two writable nodes at the end it reads back from the one that took its last write, and names both', async () => {
    const sys = fakeSystem(['a', 'b'])
    sys.writable.add('a')
    const follower = new WriteFollower(sys.driver, {service: 's', interval: 10, timeout: 200}, 'run', sys.nodes)
    await follower.start()
    await sleep(100)
    // a is lost and b promoted; later a comes back writable beside b (no cluster manager).
    sys.writable.delete('a')
    sys.writable.add('b')
    await sleep(150)
    await follower.stop()
    sys.writable.add('a')
    // The connection to b dropped while the faults were reverted: the read-back connects to both again.
    sys.lose('b')
    const ok = follower.samples.filter((s) => s.outcome === 'ok')
    expect(ok.at(-1)!.node).toBe('b')
    expect(follower.samples.some((s) => s.outcome === 'failed' && s.node === 'a')).toBe(true)
    const readBack = await follower.readBack(500)
    expect(readBack?.node).toBe('b')
    expect(readBack?.seqs).toEqual(sys.rows.get('b'))
    expect((await follower.writableNodes(500))?.sort()).toEqual(['a', 'b'])
    await follower.close()
  })
})

/**
 * Nodes reached by address, as on a Docker network: `at` says which node holds an address now (a stopped
 * container frees its own; a reconnected one may be given another). An address nobody holds refuses a
 * connection, or, with `quietWhenGone`, takes it and never answers (an old socket that just goes quiet).
 */
function addressedSystem(addresses: [string, string][], opts: {quietWhenGone?: boolean} = {}) {
  const at = new Map(addresses.map(([name, ip]) => [ip, name]))
  const address = new Map(addresses)
  const writable = new Set<string>()
  const onLost: ((error: Error) => void)[] = []
  const quiet = new Promise<never>(() => {})
  const gone = (ip: string) => !at.has(ip) && opts.quietWhenGone
  const driver: WriteDriver<{ip: string}> = {
    client: async (node, o) => (onLost.push(o.onLost), {ip: node.address}),
    connect: async (c) => {
      if (!at.has(c.ip)) throw Object.assign(new Error(`connect ${opts.quietWhenGone ? 'EHOSTUNREACH' : 'ECONNREFUSED'} ${c.ip}`), {definite: true})
    },
    destroy: async () => {},
    writable: async (c) => (gone(c.ip) ? quiet : {writable: writable.has(at.get(c.ip) ?? ''), why: 'read-only'}),
    prepare: async () => {},
    write: async (c) => {
      if (gone(c.ip)) return quiet
      if (!writable.has(at.get(c.ip) ?? '')) throw Object.assign(new Error('read-only'), {definite: true})
    },
    classify: (error) => ((error as {definite?: boolean}).definite ? 'failed' : 'indeterminate'),
    readBack: async () => new Set(),
  }
  const nodes = async (): Promise<ProbeNode[]> => [...address].map(([name, ip]) => ({name, address: ip}))
  return {at, address, writable, driver, nodes, loseAll: () => onLost.forEach((lost) => lost(new Error('connection reset')))}
}

describe('WriteFollower, nodes that stop and addresses given again', () => {
  it("a stopped node's address taken by another node: the writes are that node's, never the stopped one's", async () => {
    // Containers on a Docker network: a stopped one frees its address, which a container reconnected
    // to the network can be given (busan reconnected to the WAN took gyeonggi's, 2026-12-01).
    const {at, address, writable, driver, nodes, loseAll} = addressedSystem([['a', '10.0.0.1'], ['b', '10.0.0.2'], ['c', '10.0.0.3']])
    writable.add('a')
    const follower = new WriteFollower(driver, {service: 's', interval: 10, timeout: 200}, 'run', nodes)
    await follower.start()
    await sleep(60)
    // a and b stop (no longer listed, addresses free); c is reconnected and given b's address, then promoted.
    at.clear()
    address.delete('a')
    address.delete('b')
    loseAll()
    await sleep(60)
    at.set('10.0.0.2', 'c')
    address.set('c', '10.0.0.2')
    writable.clear()
    writable.add('c')
    await sleep(150)
    await follower.stop()
    await follower.close()
    const ok = follower.samples.filter((s) => s.outcome === 'ok')
    expect(ok[0]!.node).toBe('a')
    expect(ok.at(-1)!.node).toBe('c')
    expect(ok.filter((s) => s.node === 'b')).toEqual([])
  })
})

describe('WriteFollower, a running node given a new address', () => {
  it('is found at its new address while another node keeps its connection open (the nodes are listed again)', async () => {
    // busan reconnected to the WAN (new address) and promoted, while the probe still held a connection
    // to a replica elsewhere: it never listed the nodes again and wrote nowhere for 60 s (2026-12-01).
    const {at, address, writable, driver, nodes} = addressedSystem([['a', '10.0.0.1'], ['b', '10.0.0.2']], {quietWhenGone: true})
    writable.add('a')
    const follower = new WriteFollower(driver, {service: 's', interval: 10, timeout: 100}, 'run', nodes)
    await follower.start()
    await sleep(50)
    // a moves to another address; its old one goes quiet (no reset, no answer). b stays connected, read-only.
    at.delete('10.0.0.1')
    at.set('10.0.0.9', 'a')
    address.set('a', '10.0.0.9')
    const moved = follower.samples.length
    await sleep(1800)
    await follower.stop()
    await follower.close()
    const after = follower.samples.slice(moved)
    expect(after.some((s) => s.outcome !== 'ok'), 'the move was felt').toBe(true)
    expect(after.at(-1)).toMatchObject({outcome: 'ok', node: 'a'})
  })
})
