import {readFileSync} from 'node:fs'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {parse} from 'yaml'

import {firedrill, NO_ENGINE} from '../support/cli.js'
import {tempDir} from '../support/files.js'

let tmp: ReturnType<typeof tempDir>
beforeAll(() => {
  tmp = tempDir()
})
afterAll(() => tmp.cleanup())

describe('export compose (no engine needed)', () => {
  it('prints the compose file on stdout', async () => {
    const r = await firedrill(['export', 'compose'], {env: NO_ENGINE})
    expect(r.exitCode).toBe(0)
    expect(r.stderr).toBe('')
    const doc = parse(r.stdout, {version: '1.1'})
    expect(Object.keys(doc.services).sort()).toEqual(['etcd-busan', 'etcd-gyeonggi', 'etcd-seoul', 'postgres-busan', 'postgres-gyeonggi', 'postgres-seoul'])
  })

  it('--out writes the file (build context relative to it); --json says what it wrote', async () => {
    const out = path.join(tmp.dir, 'sub', 'compose.yml')
    const r = await firedrill(['export', 'compose', '--out', out, '--json'], {env: NO_ENGINE})
    expect(r.exitCode).toBe(0)
    const body = JSON.parse(r.stdout)
    expect(body).toMatchObject({project: 'bank-3site', file: out, services: 6, networks: 4, volumes: 0})
    const doc = parse(readFileSync(out, 'utf8'), {version: '1.1'})
    expect(doc).toEqual(body.compose)
    expect(path.isAbsolute(doc.services['etcd-seoul'].build.context)).toBe(false)
  })

  it('writes the subnets a topology gives its networks as ipam config', async () => {
    const {embeddedTopologyAs} = await import('../support/files.js')
    const text = embeddedTopologyAs('fdtest-subnets')
      .replace(/^ {2}seoul:\n {4}role: primary$/m, '  seoul:\n    role: primary\n    subnet: 10.213.1.0/24')
      .replace(/^services:$/m, 'wan: {subnet: 10.213.0.0/24}\nservices:')
    const r = await firedrill(['export', 'compose', '--topology', tmp.write('subnets.yaml', text)], {env: NO_ENGINE})
    expect(r.exitCode).toBe(0)
    const doc = parse(r.stdout, {version: '1.1'})
    expect(doc.networks.seoul.ipam).toEqual({config: [{subnet: '10.213.1.0/24'}]})
    expect(doc.networks.wan.ipam).toEqual({config: [{subnet: '10.213.0.0/24'}]})
    expect(doc.networks.busan.ipam).toBeUndefined()
  })

  it('a bad topology is exit 2', async () => {
    const r = await firedrill(['export', 'compose', '--topology', '/nonexistent/t.yaml'], {env: NO_ENGINE})
    expect(r.exitCode).toBe(2)
  })
})
