import {describe, expect, it} from 'vitest'
import {parse} from 'yaml'

import {loadTopology} from '../../src/config/load-topology.js'
import {DEFAULT_TOPOLOGY} from '../../src/paths.js'
import {composeDuration, renderCompose, toCompose} from '../../src/topology/compose.js'

describe('export compose', () => {
  const topology = loadTopology(DEFAULT_TOPOLOGY)

  it('has the same networks, containers, hostnames, aliases and labels as up', () => {
    const c = toCompose(topology)
    expect(c.version).toBe('2.4')
    expect(Object.values(c.networks).map((n) => n.name).sort()).toEqual(['fd-bank-3site-busan', 'fd-bank-3site-gyeonggi', 'fd-bank-3site-seoul', 'fd-bank-3site-wan'])
    expect(c.networks.seoul!.labels).toEqual({'io.firedrill.project': 'bank-3site', 'io.firedrill.role': 'topology', 'io.firedrill.site': 'seoul'})
    expect(Object.keys(c.services)).toHaveLength(6)
    const pg = c.services['postgres-busan']!
    expect(pg).toMatchObject({
      container_name: 'fd-bank-3site-postgres-busan',
      hostname: 'postgres-busan',
      image: 'firedrill/bank-node:15',
      command: ['patroni'],
      networks: {busan: {aliases: ['postgres-busan']}, wan: {aliases: ['postgres-busan']}},
      labels: {'io.firedrill.project': 'bank-3site', 'io.firedrill.site': 'busan', 'io.firedrill.service': 'postgres', 'io.firedrill.role': 'topology'},
      healthcheck: {test: ['CMD', 'curl', '-fsS', '--max-time', '2', 'http://127.0.0.1:8008/health'], interval: '30s', timeout: '3s', retries: 6, start_period: '0s'},
      stop_grace_period: '10s',
      restart: 'no',
    })
    // per_site overrides and ${site} expansion are applied, as up applies them
    expect(pg.environment).toMatchObject({PATRONI_NAME: 'postgres-busan', PATRONI_NOFAILOVER: 'true', PATRONI_NOSYNC: 'true'})
    expect(c.services['postgres-seoul']!.environment!.PATRONI_CAN_BOOTSTRAP).toBe('true')
    expect(pg.build).toEqual({context: topology.images[0]!.build!.contextDir, dockerfile: 'Dockerfile'})
    expect(c.volumes).toBeUndefined()
  })

  it('makes build contexts relative to the output file, escapes $, and writes ports and sized volumes', () => {
    const t = structuredClone(topology)
    const etcd = t.instances[0]!
    etcd.env.LITERAL = 'a$b'
    etcd.ports = [{container: 2379, host: 12379, host_ip: '127.0.0.1', protocol: 'tcp'}]
    etcd.volumes = [{volumeName: 'fd-bank-3site-etcd-seoul-data', target: '/data', sizeBytes: 64 * 1024 * 1024}]
    const c = toCompose(t, {outDir: t.images[0]!.build!.contextDir + '/..'})
    const s = c.services['etcd-seoul']!
    expect(s.build!.context).toBe('image')
    expect(s.environment!.LITERAL).toBe('a$$b')
    expect(s.ports).toEqual(['127.0.0.1:12379:2379/tcp'])
    expect(s.volumes).toEqual([{type: 'volume', source: 'fd-bank-3site-etcd-seoul-data', target: '/data'}])
    expect(c.volumes!['fd-bank-3site-etcd-seoul-data']).toMatchObject({name: 'fd-bank-3site-etcd-seoul-data', driver: 'local', driver_opts: {type: 'tmpfs', device: 'tmpfs', o: 'size=67108864'}})
  })

  it('renders YAML that a YAML 1.1 reader (docker-compose 1.x) reads back the same: restart stays the string "no"', () => {
    const text = renderCompose(topology, toCompose(topology))
    expect(text).toMatch(/^# docker-compose file for topology bank-3site/)
    expect(text).toContain('restart: "no"')
    const back = parse(text, {version: '1.1'})
    expect(back).toEqual(JSON.parse(JSON.stringify(toCompose(topology))))
    expect(back.services['etcd-busan'].environment.ETCD_PRE_VOTE).toBe('true')
  })

  it('a subnet the topology gives is its network\'s ipam config; a network without one has none (the engine picks)', () => {
    const t = structuredClone(topology)
    t.networks.find((n) => n.site === 'seoul')!.subnet = '10.213.1.0/24'
    t.networks.find((n) => n.site === undefined)!.subnet = '10.213.0.0/24'
    const c = toCompose(t)
    expect(c.networks.seoul!.ipam).toEqual({config: [{subnet: '10.213.1.0/24'}]})
    expect(c.networks.wan!.ipam).toEqual({config: [{subnet: '10.213.0.0/24'}]})
    expect(c.networks.busan).not.toHaveProperty('ipam')
    expect(parse(renderCompose(t, c), {version: '1.1'}).networks.seoul.ipam.config[0].subnet).toBe('10.213.1.0/24')
    expect(toCompose(topology).networks.seoul).not.toHaveProperty('ipam')
  })

  it('durations in compose syntax', () => {
    expect([composeDuration(1000), composeDuration(1500), composeDuration(0)]).toEqual(['1s', '1500ms', '0s'])
  })
})
