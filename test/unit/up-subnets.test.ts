import {afterEach, beforeEach, describe, expect, it, vi} from 'vitest'

import {loadTopology} from '../../src/config/load-topology.js'
import type {Engine, NetworkSummary} from '../../src/engine/engine.js'
import {EnvironmentError} from '../../src/errors.js'
import {bringUp} from '../../src/topology/lifecycle.js'
import {tempDir} from '../support/files.js'

let tmp: ReturnType<typeof tempDir>
beforeEach(() => {
  tmp = tempDir()
})
afterEach(() => tmp.cleanup())

const TOPOLOGY = `name: t1
sites:
  a: {role: primary, subnet: 10.213.1.0/24}
  b: {role: standby}
wan: {subnet: 10.213.0.0/24}
services:
  web: {sites: [a, b], image: nginx}
`

/** An engine with nothing of t1 on it and `others` networks; creating a container fails, so bringUp stops after the networks. */
function fakeEngine(others: NetworkSummary[]) {
  const engine = {
    listContainers: vi.fn(async () => []),
    imageId: vi.fn(async () => 'sha256:nginx'),
    findContainerByName: vi.fn(async () => undefined),
    findNetworkByName: vi.fn(async () => undefined),
    listNetworks: vi.fn(async () => others),
    createNetwork: vi.fn(async (req: {name: string}) => `id-${req.name}`),
    createVolume: vi.fn(async () => {}),
    createContainer: vi.fn(async () => {
      throw new Error('no containers in this test')
    }),
    removeContainer: vi.fn(async () => {}),
    removeNetwork: vi.fn(async () => {}),
    removeVolume: vi.fn(async () => {}),
  }
  return engine
}

describe('up with subnets', () => {
  it('asks the engine for each network with the subnet the topology gives it, and none for the others', async () => {
    const engine = fakeEngine([{id: 'n1', name: 'bridge', labels: {}, subnets: ['172.17.0.0/16']}])
    await expect(bringUp(loadTopology(tmp.write('t.yaml', TOPOLOGY)), engine as unknown as Engine)).rejects.toThrow('no containers in this test')
    expect(engine.listNetworks).toHaveBeenCalledWith([])
    expect(engine.createNetwork.mock.calls.map(([req]) => req).sort((x, y) => x.name.localeCompare(y.name))).toEqual([
      expect.objectContaining({name: 'fd-t1-a', subnet: '10.213.1.0/24'}),
      expect.objectContaining({name: 'fd-t1-b', subnet: undefined}),
      expect.objectContaining({name: 'fd-t1-wan', subnet: '10.213.0.0/24'}),
    ])
  })

  it('refuses, creating nothing, a subnet that overlaps a network already on the engine', async () => {
    const engine = fakeEngine([
      {id: 'n1', name: 'bridge', labels: {}, subnets: ['172.17.0.0/16']},
      {id: 'n2', name: 'someone-elses', labels: {}, subnets: ['10.213.0.0/16', 'fd00::/64']},
    ])
    const error = await bringUp(loadTopology(tmp.write('t.yaml', TOPOLOGY)), engine as unknown as Engine).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(EnvironmentError)
    expect((error as Error).message).toBe(
      [
        'subnet 10.213.1.0/24 of network fd-t1-a overlaps 10.213.0.0/16, the subnet of network someone-elses already on the engine',
        'subnet 10.213.0.0/24 of network fd-t1-wan overlaps 10.213.0.0/16, the subnet of network someone-elses already on the engine',
      ].join('\n'),
    )
    expect(engine.createNetwork).not.toHaveBeenCalled()
    expect(engine.createContainer).not.toHaveBeenCalled()
  })

  it('without subnets does not list the engine\'s networks at all', async () => {
    const engine = fakeEngine([])
    const plain = TOPOLOGY.replace(', subnet: 10.213.1.0/24', '').replace('wan: {subnet: 10.213.0.0/24}\n', '')
    await expect(bringUp(loadTopology(tmp.write('t.yaml', plain)), engine as unknown as Engine)).rejects.toThrow('no containers in this test')
    expect(engine.listNetworks).not.toHaveBeenCalledWith([])
    expect(engine.createNetwork.mock.calls.every(([req]) => (req as {subnet?: string}).subnet === undefined)).toBe(true)
  })
})
