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
