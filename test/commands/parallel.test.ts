import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {firedrill, NO_ENGINE} from '../support/cli.js'
import {tempDir, tinyPauseDrill, tinyPostgresTopology} from '../support/files.js'

// run --parallel: what is refused before anything starts (exit 2; with NO_ENGINE, reaching the engine would be exit 3).

let tmp: ReturnType<typeof tempDir>
let drillA: string
let drillB: string
beforeAll(() => {
  tmp = tempDir()
  const topology = tmp.write('tiny.yaml', tinyPostgresTopology('par-flags'))
  drillA = tmp.write('a.yaml', tinyPauseDrill('par-a', topology))
  drillB = tmp.write('b.yaml', tinyPauseDrill('par-b', topology))
})
afterAll(() => tmp.cleanup())

describe('run --parallel: flags refused before anything starts', () => {
  it('N below 1 or not a whole number is exit 2 naming the flag', async () => {
    for (const value of ['0', '-1', 'two', '1.5']) {
      const r = await firedrill(['run', drillA, drillB, '--parallel', value, '--ci'], {env: NO_ENGINE})
      expect(r.exitCode, `${value}: ${r.stderr}`).toBe(2)
      expect(r.stderr).toMatch(/parallel/)
      expect(r.stderr).not.toMatch(/engine|docker/i)
    }
  })

  it('--keep with --parallel above 1 is exit 2, saying why and what keeps a topology up', async () => {
    const r = await firedrill(['run', drillA, drillB, '--parallel', '2', '--keep', '--ci'], {env: NO_ENGINE})
    expect(r.exitCode).toBe(2)
    expect(r.stderr).toContain('--keep cannot be given with --parallel 2: each drill runs on a copy of its topology that exists for this run only')
    expect(r.stderr).toContain('firedrill up --topology FILE')
    // --parallel 1 is today's behaviour: --keep is fine (and this run then goes on to the engine, which is not there: exit 3).
    const one = await firedrill(['run', drillA, '--parallel', '1', '--keep', '--ci'], {env: NO_ENGINE})
    expect(one.exitCode, one.stderr).toBe(3)
  })

  it('a topology that publishes host ports is exit 2 at the ports line of the topology file', async () => {
    const text = tinyPostgresTopology('par-ports').replace('    user: postgres\n', '    user: postgres\n    ports: [{container: 5432, host: 15432}]\n')
    const topology = tmp.write('ports.yaml', text)
    const drill = tmp.write('p.yaml', tinyPauseDrill('par-p', topology))
    const line = text.split('\n').findIndex((l) => l.includes('ports:')) + 1
    const r = await firedrill(['run', drill, '--parallel', '2', '--ci'], {env: NO_ENGINE})
    expect(r.exitCode).toBe(2)
    expect(r.stderr).toContain(`${topology}:${line}:`)
    expect(r.stderr).toContain('services.postgres.ports: publishes host port(s) 127.0.0.1:15432/tcp, which every copy --parallel makes would ask for')
    // Without --parallel the same drill is fine as far as input goes (exit 3: no engine here).
    expect((await firedrill(['run', drill, '--ci'], {env: NO_ENGINE})).exitCode).toBe(3)
  })

  it('run --help documents --parallel', async () => {
    const r = await firedrill(['run', '--help'])
    expect(r.stdout).toMatch(/-p, --parallel=<value>/)
    expect(r.stdout.replace(/\s+/g, ' ')).toContain('each on its own copy of its topology')
  })
})
