import {existsSync, readFileSync, readdirSync} from 'node:fs'
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

const GOOD = `name: shop
services:
  api-seoul:
    image: firedrill/bank-node:15
    command: python3 -m http.server 8080
    environment: {REGION: seoul}
    labels: {io.firedrill.site: seoul}
    healthcheck: {test: [CMD, curl, -fsS, http://127.0.0.1:8080/], interval: 500ms}
  api-busan:
    image: firedrill/bank-node:15
    command: python3 -m http.server 8080
    environment: {REGION: busan}
    labels: {io.firedrill.site: busan}
    healthcheck: {test: [CMD, curl, -fsS, http://127.0.0.1:8080/], interval: 500ms}
x-firedrill:
  sites:
    seoul: {role: primary}
    busan: {role: standby}
`

describe('import compose (no engine needed)', () => {
  it('a good file: exit 0, the topology on stdout, and firedrill validate accepts it', async () => {
    const r = await firedrill(['import', 'compose', tmp.write('good.yml', GOOD)], {env: NO_ENGINE})
    expect(r.exitCode, r.stderr).toBe(0)
    expect(r.stderr).toBe('')
    const doc = parse(r.stdout)
    expect(doc.services.api).toMatchObject({sites: ['seoul', 'busan'], env: {REGION: '${site}'}})
    const v = await firedrill(['validate', tmp.write('from-stdout.yaml', r.stdout)], {env: NO_ENGINE})
    expect(v.exitCode, v.stdout).toBe(0)
    expect(v.stdout).toContain('ok ')
  })

  it('--out writes the file (and refuses to overwrite it without --force); --json gives the topology and warnings', async () => {
    const out = path.join(tmp.dir, 'sub', 'topology.yaml')
    const input = tmp.write('good2.yml', GOOD.replace('    labels: {io.firedrill.site: busan}', '    labels: {io.firedrill.site: busan}\n    restart: always'))
    const r = await firedrill(['import', 'compose', input, '--out', out, '--json'], {env: NO_ENGINE})
    expect(r.exitCode, r.stderr).toBe(0)
    const body = JSON.parse(r.stdout)
    expect(body.file).toBe(out)
    expect(body.topology).toEqual(parse(readFileSync(out, 'utf8')))
    expect(body.warnings).toEqual([expect.objectContaining({file: input, line: 14, field: 'services.api-busan.restart', message: expect.stringContaining('restart: always is not carried')})])
    expect(readdirSync(path.dirname(out))).toEqual(['topology.yaml'])
    expect((await firedrill(['validate', out], {env: NO_ENGINE})).exitCode).toBe(0)

    const again = await firedrill(['import', 'compose', input, '--out', out], {env: NO_ENGINE})
    expect(again.exitCode).toBe(2)
    expect(again.stderr).toContain(`${out} exists`)
    expect(again.stderr).toContain('--force')
    const forced = await firedrill(['import', 'compose', tmp.write('good3.yml', GOOD.replace('name: shop', 'name: shop2')), '--out', out, '--force'], {env: NO_ENGINE})
    expect(forced.exitCode, forced.stderr).toBe(0)
    expect(forced.stdout).toContain(`Wrote ${out}: topology shop2, 2 site(s), 1 service(s), 0 warning(s).`)
    expect(parse(readFileSync(out, 'utf8')).name).toBe('shop2')
  })

  it('a file that is not YAML: exit 2 with file:line:column, nothing written', async () => {
    const file = tmp.write('broken.yml', 'services:\n  api:\n    image: [unclosed\n')
    const out = path.join(tmp.dir, 'never.yaml')
    const r = await firedrill(['import', 'compose', file, '--out', out], {env: NO_ENGINE})
    expect(r.exitCode).toBe(2)
    expect(r.stderr).toMatch(new RegExp(`${file.replace(/[.]/g, '\\.')}:\\d+:\\d+: YAML: `))
    expect(existsSync(out)).toBe(false)
  })

  it('no services: exit 2 naming the field', async () => {
    const file = tmp.write('empty.yml', 'version: "3.8"\nnetworks: {}\n')
    const r = await firedrill(['import', 'compose', file], {env: NO_ENGINE})
    expect(r.exitCode).toBe(2)
    expect(r.stdout).toBe('')
    expect(r.stderr).toContain(`${file}:1:1: services: no services`)
  })

  it('a service without a site: exit 2 naming it and the remedy', async () => {
    const file = tmp.write('nosite.yml', 'services:\n  db:\n    image: postgres:15\n  cache:\n    image: redis:7\n    x-firedrill: {site: east}\n')
    const r = await firedrill(['import', 'compose', file], {env: NO_ENGINE})
    expect(r.exitCode).toBe(2)
    expect(r.stdout).toBe('')
    expect(r.stderr).toContain(`${file}:2:3: services.db: no site for compose service "db": give --site db=SITE`)
    expect(r.stderr).not.toContain('"cache"')
    expect(r.stderr).toContain('Try this:')
    const fixed = await firedrill(['import', 'compose', file, '--site', 'db=east'], {env: NO_ENGINE})
    expect(fixed.exitCode, fixed.stderr).toBe(0)
    expect(parse(fixed.stdout).services.db.sites).toEqual(['east'])
  })

  it('unsupported keys: warnings on stderr with file:line:column, exit 0', async () => {
    const file = tmp.write(
      'extras.yml',
      `services:
  api:
    image: shop/api:1
    deploy: {replicas: 2}
    depends_on: {db: {condition: service_healthy}}
    secrets: [token]
    labels: {io.firedrill.site: east}
  db:
    image: postgres:15
    network_mode: host
    labels: {io.firedrill.site: east}
secrets:
  token: {file: ./token.txt}
`,
    )
    const r = await firedrill(['import', 'compose', file], {env: NO_ENGINE})
    expect(r.exitCode, r.stderr).toBe(0)
    const warnings = r.stderr.trim().split('\n')
    expect(warnings).toEqual([
      `warn  ${file}:12:1: secrets: secrets are not carried: a topology mounts no secret files; give the service what it needs in environment`,
      expect.stringContaining(`warn  ${file}:4:5: services.api.deploy: deploy (replicas, resources, placement, restart policy) is not carried`),
      expect.stringContaining(`warn  ${file}:5:5: services.api.depends_on: depends_on (db: service_healthy) is not carried`),
      expect.stringContaining(`warn  ${file}:6:5: services.api.secrets: secrets are not carried`),
      expect.stringContaining(`warn  ${file}:10:5: services.db.network_mode: network_mode is not carried`),
    ])
    // the warnings are in the file's header too
    expect(r.stdout).toContain('# Not carried (a topology cannot express it):\n#   line 12: secrets: secrets are not carried')
    expect(parse(r.stdout).services).toMatchObject({api: {sites: ['east'], image: 'shop/api:1'}, db: {sites: ['east'], image: 'postgres:15'}})
  })

  it('a topology that would not validate (a build context with no Dockerfile) is exit 2 and nothing is written', async () => {
    const file = tmp.write('nodockerfile.yml', 'services:\n  api:\n    build: ./no-such-dir\n    labels: {io.firedrill.site: east}\n')
    const out = path.join(tmp.dir, 'fresh', 'deeper', 'topology.yaml')
    const r = await firedrill(['import', 'compose', file, '--out', out], {env: NO_ENGINE})
    expect(r.exitCode).toBe(2)
    expect(r.stderr).toContain(`${file}: services.api.build.context: the imported topology does not validate: no Dockerfile in ${path.join(tmp.dir, 'no-such-dir')}`)
    expect(existsSync(path.join(tmp.dir, 'fresh'))).toBe(false)
  })

  it('a variable with no value is exit 2; --env gives it; the environment is never read', async () => {
    const file = tmp.write('vars.yml', 'services:\n  db:\n    image: postgres:15\n    environment: {POSTGRES_PASSWORD: "${PGPASS}"}\n    labels: {io.firedrill.site: east}\n')
    const r = await firedrill(['import', 'compose', file], {env: {...NO_ENGINE, PGPASS: 'real-secret'}})
    expect(r.exitCode).toBe(2)
    expect(r.stderr).toContain(`${file}:4:38: services.db.environment.POSTGRES_PASSWORD: \${PGPASS} has no value: give it with --env PGPASS=VALUE`)
    expect(r.stderr + r.stdout).not.toContain('real-secret')
    const given = await firedrill(['import', 'compose', file, '--env', 'PGPASS=drill-only'], {env: NO_ENGINE})
    expect(given.exitCode, given.stderr).toBe(0)
    expect(parse(given.stdout).services.db.env).toEqual({POSTGRES_PASSWORD: 'drill-only'})
  })

  it('export compose | import compose gives back the embedded topology, and it validates', async () => {
    const exported = await firedrill(['export', 'compose', '--out', path.join(tmp.dir, 'rt', 'compose.yml')], {env: NO_ENGINE})
    expect(exported.exitCode, exported.stderr).toBe(0)
    const out = path.join(tmp.dir, 'rt', 'topology.yaml')
    const r = await firedrill(['import', 'compose', path.join(tmp.dir, 'rt', 'compose.yml'), '--out', out], {env: NO_ENGINE})
    expect(r.exitCode, r.stderr).toBe(0)
    expect(r.stderr).toBe('')
    expect(r.stdout).toContain('topology bank-3site, 3 site(s), 2 service(s), 0 warning(s)')
    const doc = parse(readFileSync(out, 'utf8'))
    expect(doc.services.postgres).toMatchObject({sites: ['seoul', 'gyeonggi', 'busan'], build: {context: path.relative(path.dirname(out), path.resolve('fixtures/topologies/bank-3site/image'))}})
    expect((await firedrill(['validate', out], {env: NO_ENGINE})).exitCode).toBe(0)
  })
})
