import {mkdirSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {loadDrill} from '../../src/config/load-drill.js'
import {loadTopology} from '../../src/config/load-topology.js'
import {ConfigError, EnvironmentError} from '../../src/errors.js'
import {copiesOf} from '../../src/drill/cleanup.js'
import {Journal, journalsOfCopies} from '../../src/drill/journal.js'
import type {Engine} from '../../src/engine/engine.js'
import {copyProjectName} from '../../src/model/topology.js'
import {checkParallel, copyProjects} from '../../src/session/session.js'
import {copyProblems, withCopySubnets} from '../../src/topology/copies.js'
import {inSlots, oneAtATime} from '../../src/util/pool.js'
import {prefixedProgress, type Progress} from '../../src/util/progress.js'
import {tempDir, tinyPauseDrill, tinyPostgresTopology} from '../support/files.js'

let tmp: ReturnType<typeof tempDir>
beforeEach(() => {
  tmp = tempDir()
})
afterEach(() => tmp.cleanup())

const tick = () => new Promise((resolve) => setTimeout(resolve, 1))

describe('inSlots: N at a time, each with a slot of its own', () => {
  it('never runs more than N at once, never hands one slot to two running items, and returns results in input order', async () => {
    let running = 0
    let most = 0
    const held = new Set<number>()
    const delays = [5, 1, 3, 1, 4, 2, 1]
    const out = await inSlots(delays, 3, async (d, slot, index) => {
      expect(held.has(slot)).toBe(false)
      held.add(slot)
      running++
      most = Math.max(most, running)
      for (let i = 0; i < d; i++) await tick()
      running--
      held.delete(slot)
      expect(slot).toBeGreaterThanOrEqual(1)
      expect(slot).toBeLessThanOrEqual(3)
      return `${index}:${d}`
    })
    expect(most).toBe(3)
    expect(out).toEqual(delays.map((d, i) => `${i}:${d}`))
  })

  it('with one slot is one after another, in order', async () => {
    const order: number[] = []
    await inSlots([1, 2, 3], 1, async (x, slot) => {
      expect(slot).toBe(1)
      order.push(x)
      await tick()
    })
    expect(order).toEqual([1, 2, 3])
  })

  it('after a failure starts nothing new, waits for what runs, then throws the first failure', async () => {
    const started: number[] = []
    const finished: number[] = []
    const error = await inSlots([0, 1, 2, 3, 4], 2, async (x) => {
      started.push(x)
      if (x === 0) {
        await tick()
        throw new Error('first')
      }
      for (let i = 0; i < 5; i++) await tick()
      finished.push(x)
    }).catch((e: unknown) => e)
    expect((error as Error).message).toBe('first')
    expect(started).toEqual([0, 1])
    // The item running beside the failure ran to its end.
    expect(finished).toEqual([1])
  })

  it('refuses a slot count below 1', async () => {
    await expect(inSlots([1], 0, async () => {})).rejects.toThrow(RangeError)
  })
})

describe('oneAtATime', () => {
  it('runs each call after the previous has settled, a failure included', async () => {
    const serial = oneAtATime()
    const log: string[] = []
    const job = (name: string, fail = false) =>
      serial(async () => {
        log.push(`${name} start`)
        await tick()
        log.push(`${name} end`)
        if (fail) throw new Error(name)
        return name
      })
    const results = await Promise.allSettled([job('a'), job('b', true), job('c')])
    expect(log).toEqual(['a start', 'a end', 'b start', 'b end', 'c start', 'c end'])
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled'])
  })
})

describe('topology copies', () => {
  const TOPOLOGY = `name: t1
sites:
  a: {role: primary}
  b: {role: standby}
services:
  web:
    sites: [a, b]
    image: nginx
    env: {PEERS: 'fd-\${project}-wan', ME: '\${service}-\${site}'}
    volumes: [{name: data, target: /data}]
`

  it('copy k has its own project, containers, networks, volumes and ${project}, the same images, and says what it copies', () => {
    const file = tmp.write('t.yaml', TOPOLOGY)
    const original = loadTopology(file)
    const copy = loadTopology(file, {copy: 2})
    expect(copyProjectName('t1', 2)).toBe('t1-p2')
    expect(copy.project).toBe('t1-p2')
    expect(copy.copyOf).toBe('t1')
    expect(original.copyOf).toBeUndefined()
    expect(copy.instances.map((i) => i.containerName)).toEqual(['fd-t1-p2-web-a', 'fd-t1-p2-web-b'])
    expect(copy.networks.map((n) => n.name)).toEqual(['fd-t1-p2-a', 'fd-t1-p2-b', 'fd-t1-p2-wan'])
    expect(copy.instances[0]!.volumes[0]!.volumeName).toBe('fd-t1-p2-web-a-data')
    expect(copy.instances[0]!.env).toEqual({PEERS: 'fd-t1-p2-wan', ME: 'web-a'})
    // Hostnames (what the services call each other on their networks) and images do not change.
    expect(copy.instances.map((i) => [i.hostname, i.image])).toEqual(original.instances.map((i) => [i.hostname, i.image]))
  })

  it('a topology without subnets gets copies without subnets (the engine picks)', () => {
    const copy = loadTopology(tmp.write('t.yaml', TOPOLOGY), {copy: 1})
    expect(withCopySubnets(copy, ['10.200.0.0/16'])).toBe(copy)
  })

  it('a topology with subnets gets, per copy, the first 10.X.0.0/16 from 200 that nothing on the engine overlaps', () => {
    const withSubnets = TOPOLOGY.replace('a: {role: primary}', 'a: {role: primary, subnet: 10.213.1.0/24}').replace('services:', 'wan: {subnet: 10.213.0.0/24}\nservices:')
    const copy = loadTopology(tmp.write('t.yaml', withSubnets), {copy: 1})
    const placed = withCopySubnets(copy, ['172.17.0.0/16', '10.200.5.0/24', '10.0.0.0/15', '10.201.240.0/20'])
    expect(placed.networks.map((n) => [n.name, n.subnet])).toEqual([
      ['fd-t1-p1-a', '10.202.1.0/24'],
      // b had none: the engine still picks it.
      ['fd-t1-p1-b', undefined],
      ['fd-t1-p1-wan', '10.202.240.0/20'],
    ])
    const full = Array.from({length: 55}, (_, i) => `10.${200 + i}.0.0/16`)
    expect(() => withCopySubnets(copy, full)).toThrow(EnvironmentError)
  })

  it('a topology publishing host ports cannot be copied: a ConfigError at its file', () => {
    const file = tmp.write('t.yaml', TOPOLOGY.replace('    image: nginx', '    image: nginx\n    per_site:\n      a:\n        ports: [{container: 80, host: 18080}]'))
    const problem = copyProblems(loadTopology(file))
    expect(problem).toBeInstanceOf(ConfigError)
    expect(problem!.issues).toEqual([expect.objectContaining({file, line: 11, field: 'services.web.per_site.a.ports'})])
    expect(problem!.issues[0]!.message).toContain('publishes host port(s) 127.0.0.1:18080/tcp')
    expect(copyProblems(loadTopology(tmp.write('u.yaml', TOPOLOGY)))).toBeUndefined()
  })

  it('copyProjects: copy 1..min(N, drills) of every topology the drills use; checkParallel passes a copyable one', () => {
    const topo = tmp.write('tiny.yaml', tinyPostgresTopology('tiny'))
    const drills = ['a', 'b', 'c'].map((n) => loadDrill(tmp.write(`${n}.yaml`, tinyPauseDrill(n, topo))))
    expect(copyProjects(drills, 2)).toEqual(['tiny-p1', 'tiny-p2'])
    expect(copyProjects(drills, 8)).toEqual(['tiny-p1', 'tiny-p2', 'tiny-p3'])
    expect(() => checkParallel(drills)).not.toThrow()
  })
})

describe('cleanup finds the copies a killed run left', () => {
  it('by their journals (copy_of) and by the io.firedrill.copy-of label on the engine', async () => {
    const dir = path.join(tmp.dir, 'state')
    mkdirSync(dir)
    Journal.begin('t1-p1', 'r1', {dir, copyOf: 't1'}).intend({fault: 'kill', name: 'kill', description: 'killed x', undo: {kind: 'start', containers: []} as never})
    Journal.begin('t1', 'r2', {dir}).intend({fault: 'kill', name: 'kill', description: 'killed y', undo: {kind: 'start', containers: []} as never})
    Journal.begin('t2-p1', 'r3', {dir, copyOf: 't2'}).intend({fault: 'kill', name: 'kill', description: 'killed z', undo: {kind: 'start', containers: []} as never})
    writeFileSync(path.join(dir, 'notes.txt'), 'not a journal')
    expect(journalsOfCopies('t1', dir)).toEqual(['t1-p1'])
    const labelled = (project: string) => [{labels: {'io.firedrill.project': project, 'io.firedrill.copy-of': 't1'}}]
    const engine = {
      listContainers: async () => labelled('t1-p3'),
      listNetworks: async () => labelled('t1-p2'),
      listVolumes: async () => [],
    }
    expect(await copiesOf('t1', engine as unknown as Engine, dir)).toEqual(['t1-p1', 't1-p2', 't1-p3'])
  })
})

describe('prefixedProgress', () => {
  it('prefixes titles, status lines and log lines', async () => {
    const lines: string[] = []
    const inner: Progress = {
      phase: (title, fn) => {
        lines.push(`phase ${title}`)
        return fn((m) => lines.push(`update ${m}`))
      },
      log: (m) => lines.push(`log ${m}`),
    }
    const p = prefixedProgress(inner, '[p2 kill-primary] ')
    await p.phase('Wait until healthy', async (update) => update('waiting for: etcd'))
    p.log('done')
    expect(lines).toEqual(['phase [p2 kill-primary] Wait until healthy', 'update [p2 kill-primary] waiting for: etcd', 'log [p2 kill-primary] done'])
  })
})
