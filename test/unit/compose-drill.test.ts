import {describe, expect, it} from 'vitest'
import {parse} from 'yaml'

import {composeDrill} from '../../src/project/scaffold.js'
import type {TopologyDocument} from '../../src/topology/compose-import.js'

/** init --from-compose: which service the drill kills, how, and with which probe, from what a compose file gives. */
const topo = (services: TopologyDocument['services'], sites: TopologyDocument['sites'] = {east: {role: 'primary'}, west: {role: 'standby'}}): TopologyDocument => ({name: 't', sites, services})
const drill = (t: TopologyDocument) => {
  const d = composeDrill(t)
  return {...parse(d.text), notes: d.notes}
}

describe('composeDrill', () => {
  it('a service with a cluster manager: its leader is killed, wherever it is, and a command probe runs in the leader', () => {
    const d = drill(topo({app: {sites: ['east', 'west'], image: 'acme/app:1', health: {test: ['app', 'check'], interval: '30s', timeout: '3s', retries: 3}, cluster: {manager: 'http'}}}))
    expect(d.steps[1]).toEqual({fault: 'kill', name: 'primary-down', target: {service: 'app', role: 'leader'}, signal: 'SIGKILL'})
    expect(d.probe).toMatchObject({kind: 'command', service: 'app', argv: ['app', 'check'], in: {service: 'app', role: 'leader'}})
    expect(d.steps.some((s: object) => 'heal' in s)).toBe(false)
    expect(d.notes).toEqual([])
  })

  it('prefers, on the primary site, a replicated service it can write to; Redis gets a write probe and an RPO objective', () => {
    const d = drill(topo({web: {sites: ['east', 'west'], image: 'nginx:1', ports: [{container: 80, host: 8080}]}, cache: {sites: ['east', 'west'], image: 'redis:7', env: {REDIS_PASSWORD: 'p'}}}))
    expect(d.steps[1].target).toEqual({service: 'cache', site: 'east'})
    expect(d.probe).toMatchObject({kind: 'redis-write', service: 'cache', password: 'p'})
    expect(d.objectives).toEqual({rto: '60s', rpo: '0s'})
  })

  it('the primary site is the one whose role is primary, not the first listed', () => {
    const d = drill(topo({db: {sites: ['east', 'west'], image: 'postgres:16'}}, {east: {role: 'standby'}, west: {role: 'primary'}}))
    expect(d.steps[1].target).toEqual({service: 'db', site: 'west'})
    expect(d.notes.join('\n')).toMatch(/password of db is not in the compose file/)
  })

  it('nothing known about the service: a restart drill whose probe only checks the container runs, and notes that say what to fill', () => {
    const d = drill(topo({worker: {sites: ['east'], image: 'busybox:1'}}))
    expect(d.probe).toMatchObject({kind: 'command', argv: ['true'], in: {service: 'worker', site: 'east'}})
    expect(d.steps.map((s: object) => Object.keys(s)[0])).toEqual(['sleep', 'fault', 'sleep', 'heal', 'wait', 'sleep'])
    expect(d.notes).toHaveLength(2)
    expect(d.notes[1]).toMatch(/Replace it with one that uses the service/)
  })

  it('a health check is not used as the probe of a replicated service without a manager: it would watch the killed instance only', () => {
    const d = drill(topo({app: {sites: ['east', 'west'], image: 'acme/app:1', health: {test: ['app', 'check'], interval: '30s', timeout: '3s', retries: 3}}}))
    expect(d.probe.argv).toEqual(['true'])
  })
})
