import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {firedrill} from '../support/cli.js'
import {tempDir} from '../support/files.js'

let tmp: ReturnType<typeof tempDir>
beforeAll(() => {
  tmp = tempDir()
})
afterAll(() => tmp.cleanup())

// Nothing listens on these loopback ports: engines that cannot be reached, with no Docker needed.
const topology = (engines: string, sites: string) => `name: engtwo
${engines}sites:
${sites}services:
  web:
    sites: [a, b]
    image: nginx
`
const UNREACHABLE = 'engines:\n  host-a: {host: "tcp://127.0.0.1:9", insecure: true}\n  host-b: {host: "tcp://127.0.0.1:7", insecure: true}\n'

describe('sites on several engines, from the command line', () => {
  it('validate names a site whose engine is unknown and an engine no site uses (exit 2, file:line:column)', async () => {
    const file = tmp.write('bad.yaml', topology(UNREACHABLE, '  a: {role: primary, engine: host-a}\n  b: {role: standby, engine: host-c}\n'))
    const r = await firedrill(['validate', file])
    expect(r.exitCode).toBe(2)
    expect(r.stdout).toContain(`error ${file}:7:30: sites.b.engine: engine "host-c" is not declared under engines (declared: host-a, host-b)`)
    expect(r.stdout).toContain(`error ${file}:4:11: engines.host-b: engine "host-b" is not used by any site`)
  })

  it('up names each engine it cannot reach (exit 3) before creating anything', async () => {
    const file = tmp.write('unreachable.yaml', topology(UNREACHABLE, '  a: {role: primary, engine: host-a}\n  b: {role: standby, engine: host-b}\n'))
    const r = await firedrill(['up', '--topology', file, '--ci'])
    expect(r.exitCode).toBe(3)
    expect(r.stderr).toMatch(/^Error: cannot reach engine host-a \(tcp:\/\/127\.0\.0\.1:9\): .*ECONNREFUSED.*; engine host-b \(tcp:\/\/127\.0\.0\.1:7\): .*ECONNREFUSED/m)
    expect(r.stderr).toContain('nothing was started on any engine')
  })
})
