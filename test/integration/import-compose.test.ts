import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {DockerEngine} from '../../src/engine/docker.js'
import {LABEL} from '../../src/engine/labels.js'
import {firedrill} from '../support/cli.js'
import {labelled, NOTHING, testProject} from '../support/docker.js'
import {tempDir} from '../support/files.js'

const LONG = {timeout: 300_000}

/** Two sites of a tiny HTTP service (python3's http.server in the bank-node image, already on the engine), as a team would write it for compose. */
function composeFile(project: string): string {
  return `name: ${project}
x-web: &web
  image: firedrill/bank-node:15
  command: python3 -m http.server 8080 --bind 0.0.0.0
  healthcheck:
    test: [CMD, curl, -fsS, --max-time, "1", http://127.0.0.1:8080/]
    interval: 300ms
    timeout: 2s
    retries: 100
  stop_grace_period: 1s
  depends_on: [cache]
services:
  web-east:
    <<: *web
    environment: {SITE_NAME: east}
    labels: {io.firedrill.site: east}
  web-west:
    <<: *web
    environment: {SITE_NAME: west}
    labels: {io.firedrill.site: west}
  cache:
    image: firedrill/bank-node:15
    command: [python3, -m, http.server, "6379"]
    stop_grace_period: 1s
x-firedrill:
  up_timeout: 60s
  sites:
    east: {role: primary, services: [cache]}
    west: {role: standby}
`
}

describe('import compose, then up and down', () => {
  const project = testProject()
  const engine = new DockerEngine()
  let tmp: ReturnType<typeof tempDir>
  beforeAll(() => {
    tmp = tempDir()
  })
  afterAll(async () => {
    await firedrill(['down', '--project', project], LONG)
    expect(await labelled(project)).toEqual(NOTHING)
    engine.close()
    tmp.cleanup()
  }, 300_000)

  it('the imported topology comes up healthy on two sites, and down leaves nothing', async () => {
    const out = path.join(tmp.dir, 'topology.yaml')
    const imported = await firedrill(['import', 'compose', tmp.write('docker-compose.yml', composeFile(project)), '--out', out])
    expect(imported.exitCode, imported.stderr).toBe(0)
    // the one thing not carried: the start order
    expect(imported.stderr.trim().split('\n')).toEqual([expect.stringMatching(/docker-compose\.yml:\d+:\d+: services\.web-east\.depends_on: depends_on is not carried/), expect.stringMatching(/services\.web-west\.depends_on: depends_on is not carried/)])

    const up = await firedrill(['up', '--topology', out, '--ci'], LONG)
    expect(up.exitCode, up.stderr).toBe(0)
    const containers = await engine.listContainers([`${LABEL.project}=${project}`])
    expect(containers.map((c) => `${c.name} ${c.labels[LABEL.site]} ${c.state}`).sort()).toEqual([
      `fd-${project}-cache-east east running`,
      `fd-${project}-web-east east running`,
      `fd-${project}-web-west west running`,
    ])
    // each site's container got its own environment, and answers on its compose hostname from the other site
    const west = containers.find((c) => c.name === `fd-${project}-web-west`)!
    const env = await engine.exec(west.id, ['sh', '-c', 'echo "$SITE_NAME"'])
    expect(env.stdout.trim()).toBe('west')
    const fromWest = await engine.exec(west.id, ['curl', '-fsS', '-o', '/dev/null', '-w', '%{http_code}', '--max-time', '5', 'http://web-east:8080/'])
    expect(fromWest.stdout).toBe('200')
    const cache = await engine.exec(west.id, ['curl', '-fsS', '-o', '/dev/null', '-w', '%{http_code}', '--max-time', '5', 'http://cache:6379/'])
    expect(cache.stdout).toBe('200')

    const down = await firedrill(['down', '--topology', out, '--ci'], LONG)
    expect(down.exitCode, down.stderr).toBe(0)
    expect(await labelled(project)).toEqual(NOTHING)
  })
})
