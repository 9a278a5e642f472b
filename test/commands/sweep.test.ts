import path from 'node:path'

import {afterAll, describe, expect, it} from 'vitest'

import {PACKAGE_ROOT} from '../../src/paths.js'
import {firedrill, NO_ENGINE} from '../support/cli.js'
import {tempDir} from '../support/files.js'

const MESSENGER = path.join(PACKAGE_ROOT, 'fixtures', 'topologies', 'messenger-3dc', 'topology.yaml')
const tmp = tempDir()
afterAll(() => tmp.cleanup())

/** Bad input is refused before the engine is asked (NO_ENGINE: reaching it would be exit 3). */
describe('firedrill sweep refuses bad input with exit 2, nothing started', () => {
  it('an unknown site or service, isolate per service, a settle not shorter than the bound: each named', async () => {
    const r = await firedrill(['sweep', '-t', MESSENGER, '--sites', 'pangyo,mars', '--services', 'db', '--settle', '1m', '--timeout', '30s'], {env: NO_ENGINE})
    expect(r.exitCode, r.stderr).toBe(2)
    expect(r.stderr).toContain('--sites: site "mars" is not in topology messenger-3dc (sites: pangyo, gasan, busan, edge)')
    expect(r.stderr).toContain('--services: service "db" is not in topology messenger-3dc')
    expect(r.stderr).toMatch(/--settle: settle \(60000 ms\) must be shorter than the bound --timeout \(30000 ms\)/)
  })

  it('a topology with no probe set, and a bad --probes file: file, line and field', async () => {
    const bare = tmp.write('bare.yaml', 'name: bare\nsites:\n  a: {role: primary}\nservices:\n  web:\n    sites: [a]\n    image: nginx:1\n')
    const none = await firedrill(['sweep', '-t', bare], {env: NO_ENGINE})
    expect(none.exitCode).toBe(2)
    expect(none.stderr).toMatch(/bare\.yaml: probes: topology bare has no probe set: add a probes: section .*or give --probes FILE/)
    const probes = tmp.write('probes.yaml', 'probes:\n  web: {kind: tcp, service: web, port: 99999}\n')
    const bad = await firedrill(['sweep', '-t', bare, '--probes', probes], {env: NO_ENGINE})
    expect(bad.exitCode).toBe(2)
    expect(bad.stderr).toMatch(/probes\.yaml:2:\d+: probes\.web\.port: /)
  })

  it('good input and no engine: exit 3, one sentence', async () => {
    const r = await firedrill(['sweep', '-t', MESSENGER, '--sites', 'busan'], {env: NO_ENGINE})
    expect(r.exitCode, r.stderr).toBe(3)
  })
})
