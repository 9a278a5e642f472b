import {writeFileSync} from 'node:fs'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {loadTopology} from '../../src/config/load-topology.js'
import {YamlSource} from '../../src/config/yaml-source.js'
import {ConfigError} from '../../src/errors.js'
import {DEFAULT_TOPOLOGY, PACKAGE_ROOT} from '../../src/paths.js'
import {importCompose, renderTopology, shellOperator, type ImportOptions} from '../../src/topology/compose-import.js'
import {renderCompose, toCompose} from '../../src/topology/compose.js'
import type {Topology} from '../../src/model/topology.js'
import {tempDir} from '../support/files.js'

let tmp: ReturnType<typeof tempDir>
beforeAll(() => {
  tmp = tempDir()
})
afterAll(() => tmp.cleanup())

/** Import compose text written to `compose.yml` in the scratch directory; the topology is meant to go next to it. */
function importText(text: string, opts: ImportOptions = {}) {
  const file = tmp.write('compose.yml', text)
  return importCompose(YamlSource.parse(file, text, {merge: true}), {outDir: tmp.dir, ...opts})
}

/** The topology the import gives, loaded as `firedrill up` loads it. */
function loadImported(result: ReturnType<typeof importCompose>, name = 'imported.yaml'): Topology {
  const file = path.join(tmp.dir, name)
  writeFileSync(file, renderTopology(result, {file: 'compose.yml', sha256: '0'.repeat(64)}))
  return loadTopology(file)
}

function issuesOf(fn: () => unknown): ConfigError {
  try {
    fn()
  } catch (error) {
    if (error instanceof ConfigError) return error
    throw error
  }
  throw new Error('expected a ConfigError')
}

/** export compose, then import compose: the same topology back, and nothing to warn about. */
function roundTrip(t: Topology): {back: Topology; warnings: unknown[]} {
  const composeText = renderCompose(t, toCompose(t, {outDir: tmp.dir}))
  const result = importText(composeText)
  return {back: loadImported(result), warnings: result.warnings}
}

const comparable = (t: Topology) => ({...t, file: undefined, sha256: undefined})

function topologyFile(name: string, text: string): Topology {
  return loadTopology(tmp.write(name, text))
}

describe('import(export(t)) gives back t', () => {
  it('for the shipped bank-3site topology (builds, per-site env, ${site} values, Patroni cluster settings)', () => {
    const t = loadTopology(DEFAULT_TOPOLOGY)
    const {back, warnings} = roundTrip(t)
    expect(warnings).toEqual([])
    expect(comparable(back)).toEqual(comparable(t))
  })

  it.each(['topology.yaml', 'topology-redundant.yaml'])('for the shipped messenger-3dc %s (a witness site, a published port, ${project} and ${site} in values)', (file) => {
    const t = loadTopology(path.join(PACKAGE_ROOT, 'fixtures', 'topologies', 'messenger-3dc', file))
    const {back, warnings} = roundTrip(t)
    expect(warnings).toEqual([])
    expect(comparable(back)).toEqual(comparable(t))
  })

  it('imported under another name, what export wrote as the old name is ${project} again (fd-NAME-wan), with a warning', () => {
    const t = loadTopology(path.join(PACKAGE_ROOT, 'fixtures', 'topologies', 'messenger-3dc', 'topology.yaml'))
    const result = importText(renderCompose(t, toCompose(t, {outDir: tmp.dir})), {name: 'payments-lab'})
    expect(result.topology.services.redis!.env!.WAN_NETWORK).toBe('fd-${project}-wan')
    const back = loadImported(result)
    expect(back.instances.find((i) => i.service === 'redis')!.env.WAN_NETWORK).toBe('fd-payments-lab-wan')
    expect(result.warnings.map((w) => w.message).join('\n')).toMatch(/exported from topology messenger-3dc and is imported as payments-lab: the old name became \$\{project\} in redis\.env\.WAN_NETWORK/)
    // No value an instance is started with still names the old project (its build context's path may: that is a directory).
    for (const i of back.instances) expect(JSON.stringify([i.env, i.command]), i.containerName).not.toContain('messenger-3dc')
  })

  it('for services on one site, with volumes (sized and not), ports, user and a literal $', () => {
    const t = topologyFile(
      'one-site.yaml',
      `name: one-site
description: one site only
sites:
  east: {role: primary}
services:
  db:
    sites: [east]
    image: firedrill/bank-node:15
    user: postgres
    command: [sh, -c, 'exec postgres -D "$PGDATA"']
    env: {PGDATA: /var/lib/postgresql/data, PRICE: '5$'}
    health: {test: [pg_isready], interval: 200ms, timeout: 1500ms, retries: 5, start_period: 2s}
    ports: [{container: 5432, host: 15432}, {container: 53, host: 15353, protocol: udp, host_ip: 0.0.0.0}]
    volumes: [{name: data, target: /var/lib/postgresql/data}, {name: wal, target: /wal, size: 64MiB}]
    stop_timeout: 1s
  cache:
    sites: [east]
    image: firedrill/debian-base:bookworm
    hostname: cache
up_timeout: 45s
`,
    )
    const {back, warnings} = roundTrip(t)
    expect(warnings).toEqual([])
    expect(comparable(back)).toEqual(comparable(t))
  })

  it('for a service on several sites with per_site env, command and ports', () => {
    const t = topologyFile(
      'multi.yaml',
      `name: multi
sites:
  seoul: {role: primary}
  busan: {role: replica}
  jeju: {role: witness}
services:
  api:
    sites: [seoul, busan, jeju]
    image: firedrill/bank-node:15
    command: [python3, -m, http.server, '8080']
    env: {REGION: '\${site}', MODE: active}
    ports: [{container: 8080, host: 18080}]
    per_site:
      busan:
        env: {MODE: passive}
        command: [python3, -m, http.server, '9090']
        ports: [{container: 9090, host: 19090}]
      jeju:
        ports: []
`,
    )
    const {back, warnings} = roundTrip(t)
    expect(warnings).toEqual([])
    expect(comparable(back)).toEqual(comparable(t))
  })

  it('for explicit subnets of the sites and the WAN', () => {
    const t = topologyFile(
      'subnets.yaml',
      `name: subnets
sites:
  a: {role: primary, subnet: 10.213.1.0/24}
  b: {role: standby}
wan: {subnet: 10.213.0.0/24}
services:
  app: {sites: [a, b], image: firedrill/debian-base:bookworm, command: [sleep, infinity]}
`,
    )
    const {back, warnings} = roundTrip(t)
    expect(warnings).toEqual([])
    expect(comparable(back)).toEqual(comparable(t))
    expect(back.networks.map((n) => n.subnet)).toEqual(['10.213.1.0/24', undefined, '10.213.0.0/24'])
  })
})

describe('import compose: sites and folding', () => {
  const base = `services:
  api-seoul:
    image: shop/api:1
    command: ./api --port 8080
    environment: [REGION=seoul, LEVEL=info]
    labels: {io.firedrill.site: seoul}
  api-busan:
    image: shop/api:1
    command: ./api --port 8080
    environment: {REGION: busan, LEVEL: debug}
    x-firedrill: {site: busan}
  db:
    image: postgres:15
`

  it('takes sites from --site over the label over x-firedrill, and folds api-seoul + api-busan into api', () => {
    const r = importText(base.replace('x-firedrill: {site: busan}', 'x-firedrill: {site: jeju}'), {sites: {db: 'seoul', 'api-busan': 'busan'}})
    expect(Object.keys(r.topology.sites)).toEqual(['seoul', 'busan'])
    expect(r.topology.services.api).toEqual({
      sites: ['seoul', 'busan'],
      image: 'shop/api:1',
      command: ['./api', '--port', '8080'],
      env: {REGION: '${site}', LEVEL: 'info'},
      per_site: {busan: {env: {LEVEL: 'debug'}}},
    })
    expect(r.topology.services.db).toMatchObject({sites: ['seoul'], hostname: 'db'})
    const t = loadImported(r)
    expect(t.instances.map((i) => `${i.service}@${i.site} ${i.hostname} ${i.env.REGION ?? ''} ${i.env.LEVEL ?? ''}`)).toEqual(['api@seoul api-seoul seoul info', 'api@busan api-busan busan debug', 'db@seoul db  '])
    // a compose service whose name does not end in its site keeps its name unless it is the same service but for its site
    const apart = importText(base.replace('x-firedrill: {site: busan}', 'x-firedrill: {site: jeju}').replace('command: ./api --port 8080\n    environment: {', 'command: ./api --port 9090\n    environment: {'), {sites: {db: 'seoul'}})
    expect(Object.keys(apart.topology.services)).toEqual(['api', 'api-busan', 'db'])
    expect(apart.topology.services['api-busan']).toMatchObject({sites: ['jeju'], hostname: 'api-busan', command: ['./api', '--port', '9090']})
  })

  it('top-level x-firedrill places services and gives roles, description, subnets and up_timeout', () => {
    const r = importText(`${base}x-firedrill:
  name: shop
  description: the shop
  up_timeout: 2m
  sites:
    busan: {role: replica, subnet: 10.9.2.0/24}
    seoul: {role: primary, services: [db]}
  wan: {subnet: 10.9.0.0/24}
`)
    expect(r.topology).toMatchObject({name: 'shop', description: 'the shop', up_timeout: '2m', wan: {subnet: '10.9.0.0/24'}})
    expect(r.topology.sites).toEqual({busan: {role: 'replica', subnet: '10.9.2.0/24'}, seoul: {role: 'primary'}})
    expect(r.warnings.map((w) => w.message).join('\n')).not.toContain('site roles not given')
    expect(loadImported(r).sites).toEqual([{name: 'busan', role: 'replica', engine: 'local'}, {name: 'seoul', role: 'primary', engine: 'local'}])
  })

  it('without roles: the first site is primary, the others standby, and a warning says so', () => {
    const r = importText(base, {sites: {db: 'seoul'}})
    expect(r.topology.sites).toEqual({seoul: {role: 'primary'}, busan: {role: 'standby'}})
    expect(r.warnings.map((w) => w.message)).toContainEqual(expect.stringContaining('site roles not given, so the first site is primary and the others standby: seoul primary, busan standby'))
  })

  it('a service with no site is exit 2 naming it and the remedy, with its line', () => {
    const e = issuesOf(() => importText(base))
    expect(e.exitCode).toBe(2)
    expect(e.issues).toEqual([expect.objectContaining({line: 12, column: 3, field: 'services.db', message: expect.stringContaining('no site for compose service "db": give --site db=SITE, a label io.firedrill.site: SITE, or x-firedrill: {site: SITE}')})])
    expect(e.suggestions.join('\n')).toContain('--site SERVICE=SITE')
  })

  it('two compose services on one site folding into one service, or folding with different images, are refused', () => {
    const same = issuesOf(() => importText(base.replace('x-firedrill: {site: busan}', 'x-firedrill: {site: seoul, service: api}'), {sites: {db: 'seoul'}}))
    expect(same.message).toContain('compose services "api-seoul" and "api-busan" both become service "api" on site seoul')
    const images = issuesOf(() => importText(base.replace('image: shop/api:1\n    command: ./api --port 8080\n    environment: {', 'image: shop/api:2\n    command: ./api --port 8080\n    environment: {'), {sites: {db: 'seoul'}}))
    expect(images.message).toContain('"api-seoul" and "api-busan" fold into topology service "api" (one container per site), but their image differs')
  })

  it('x-firedrill.service folds services whose names do not say the site; the io.firedrill.service label too', () => {
    const r = importText(`services:
  ledger-a: {image: bank/ledger:3, x-firedrill: {site: seoul, service: ledger}}
  ledger-b: {image: bank/ledger:3, labels: [io.firedrill.site=busan, io.firedrill.service=ledger]}
`)
    expect(Object.keys(r.topology.services)).toEqual(['ledger'])
    expect(r.topology.services.ledger!.sites).toEqual(['seoul', 'busan'])
    expect(r.warnings.map((w) => w.message)).toContainEqual(expect.stringContaining('the hostnames ledger-a, ledger-b of service "ledger" differ by more than the site name'))
  })
})

describe('import compose: the same service on several sites under other names', () => {
  it('folds services that differ only by a name suffix and their site, says so, and keeps apart those that differ', () => {
    const r = importText(`services:
  web-primary: {image: shop/web:1, command: [serve], environment: {REGION: seoul}, labels: {io.firedrill.site: seoul}}
  web-dr: {image: shop/web:1, command: [serve], environment: {REGION: busan}, labels: {io.firedrill.site: busan}}
  ledger1: {image: bank/ledger:3, labels: {io.firedrill.site: seoul}}
  ledger2: {image: bank/ledger:4, labels: {io.firedrill.site: busan}}
  api: {image: shop/api:1, labels: {io.firedrill.site: seoul}}
  app: {image: shop/api:1, labels: {io.firedrill.site: busan}}
x-firedrill: {sites: {seoul: {role: primary}, busan: {role: standby}}}
`)
    expect(Object.keys(r.topology.services)).toEqual(['web', 'ledger1', 'ledger2', 'api', 'app'])
    expect(r.topology.services.web).toEqual({sites: ['seoul', 'busan'], image: 'shop/web:1', command: ['serve'], env: {REGION: '${site}'}})
    const said = r.warnings.map((w) => `${w.line} ${w.message}`)
    expect(said).toContainEqual('3 "web-primary" and "web-dr" differ only by their site: folded into service "web" (give them different x-firedrill.service names to keep them apart)')
    expect(said).toContainEqual(expect.stringContaining('the hostnames web-primary, web-dr of service "web" differ by more than the site name'))
    expect(loadImported(r).instances.map((i) => i.containerName)).toContain('fd-firedrill-test-web-busan'.replace('firedrill-test', r.topology.name))
  })
})

describe('import compose: what is carried', () => {
  it('splits string commands as compose does; a string that needs a shell is refused with the list form to write', () => {
    const r = importText(`services:
  a: {image: x, command: "sh -c 'echo \\"hi there\\"' a\\\\ b # not-a-comment", labels: {io.firedrill.site: s}}
`)
    expect(r.topology.services.a!.command).toEqual(['sh', '-c', 'echo "hi there"', 'a b', '#', 'not-a-comment'])
    const e = issuesOf(() => importText('services:\n  a: {image: x, command: "migrate && serve", labels: {io.firedrill.site: s}}\n'))
    expect(e.issues[0]).toMatchObject({line: 2, field: 'services.a.command'})
    expect(e.message).toContain('"migrate && serve" needs a shell (it holds &)')
    expect(e.message).toContain('[sh, -c, "migrate && serve"]')
    expect([shellOperator("echo 'a;b'"), shellOperator('echo "a|b"'), shellOperator('echo a\\;b'), shellOperator('a > b'), shellOperator('$(x)')]).toEqual([undefined, undefined, undefined, '>', '('])
  })

  it('a hostname other than the service name is kept, and a warning says the service name no longer answers', () => {
    const r = importText('services:\n  db: {image: x, hostname: primary-db, labels: {io.firedrill.site: s}}\n')
    expect(r.topology.services.db!.hostname).toBe('primary-db')
    expect(r.warnings).toEqual([expect.objectContaining({line: 2, field: 'services.db.hostname', message: expect.stringContaining('other containers reach this one as primary-db')})])
  })

  it('entrypoint becomes the start of the command, with a warning', () => {
    const r = importText('services:\n  a: {image: x, entrypoint: [/init], command: [serve, --fast], labels: {io.firedrill.site: s}}\n')
    expect(r.topology.services.a!.command).toEqual(['/init', 'serve', '--fast'])
    expect(r.warnings[0]!.message).toContain('entrypoint is not a topology field')
  })

  it('interpolates ${VAR} from --env only: a default is used and said; a variable with none is exit 2; $$ is a literal $', () => {
    const text = `services:
  a:
    image: "shop/api:\${TAG:-1.0}"
    environment: {DB_PASSWORD: "\${DB_PASSWORD}", COST: "5$$", BOTH: "\${A:+yes}-\${B-none}"}
    labels: {io.firedrill.site: s}
`
    process.env.DB_PASSWORD = 'from-the-real-environment'
    try {
      const e = issuesOf(() => importText(text))
      expect(e.issues).toEqual([expect.objectContaining({line: 4, field: 'services.a.environment.DB_PASSWORD', message: expect.stringContaining('${DB_PASSWORD} has no value: give it with --env DB_PASSWORD=VALUE')})])
      expect(e.message).not.toContain('from-the-real-environment')
    } finally {
      delete process.env.DB_PASSWORD
    }
    const r = importText(text, {env: {DB_PASSWORD: 's3cret', A: '1'}})
    expect(r.topology.services.a).toMatchObject({image: 'shop/api:1.0', env: {DB_PASSWORD: 's3cret', COST: '5$', BOTH: 'yes-none'}})
    expect(r.warnings.map((w) => w.message)).toContainEqual('${TAG} is not given (--env TAG=VALUE): its default from the file was used')
  })

  it('health checks (CMD, CMD-SHELL, Docker defaults), durations, ports, volumes, tmpfs and build contexts', () => {
    const r = importText(`services:
  a:
    build: {context: ./app, dockerfile: Dockerfile.dev, args: [VERSION=2]}
    healthcheck: {test: [CMD-SHELL, "curl -f localhost || exit 1"], interval: 1m30s}
    stop_grace_period: 1.5s
    ports: ["127.0.0.1:8080:80", "0.0.0.0:9000-9001:9000-9001/udp", {target: 443, published: "8443", host_ip: 127.0.0.1}]
    volumes: [data:/data, {type: tmpfs, target: /scratch, tmpfs: {size: 16m}}, /anon]
    tmpfs: ["/run:size=1g"]
    labels: {io.firedrill.site: s}
volumes:
  data: {driver: local, driver_opts: {type: tmpfs, device: tmpfs, o: size=64m}}
`)
    expect(r.warnings).toEqual([])
    expect(r.topology.services.a).toMatchObject({
      build: {context: 'app', dockerfile: 'Dockerfile.dev', args: {VERSION: '2'}},
      health: {test: ['/bin/sh', '-c', 'curl -f localhost || exit 1'], interval: '1m30s', timeout: '30s', retries: 3},
      stop_timeout: '1.5s',
      ports: [
        {container: 80, host: 8080},
        {container: 9000, host: 9000, host_ip: '0.0.0.0', protocol: 'udp'},
        {container: 9001, host: 9001, host_ip: '0.0.0.0', protocol: 'udp'},
        {container: 443, host: 8443},
      ],
      volumes: [
        {name: 'data', target: '/data', size: 64 * 1024 * 1024},
        {name: 'tmpfs-scratch', target: '/scratch', size: 16 * 1024 * 1024},
        {name: 'anon', target: '/anon'},
        {name: 'tmpfs-run', target: '/run', size: 1024 * 1024 * 1024},
      ],
    })
  })

  it('what a topology cannot express is a warning with its line, never dropped silently', () => {
    const r = importText(`services:
  a:
    image: x
    deploy: {replicas: 3}
    secrets: [token]
    configs: [conf]
    depends_on: {db: {condition: service_healthy}}
    network_mode: host
    privileged: true
    cap_add: [NET_ADMIN]
    volumes: [./src:/src]
    tmpfs: /tmp
    restart: always
    env_file: .env
    environment: [FROM_SHELL]
    ports: ["8080"]
    networks: [backend]
    labels: {io.firedrill.site: s}
secrets: {token: {file: ./token}}
networks: {backend: {driver: overlay}}
`)
    const shared = importText(`services:
  a: {image: x, volumes: [data:/data], ports: [{target: 80, published: 8080, mode: host}], labels: {io.firedrill.site: s}}
  b: {image: y, volumes: [data:/data], labels: {io.firedrill.site: s}}
volumes:
  data: {name: prod-data}
`)
    expect(shared.warnings.map((w) => `${w.line} ${w.field}: ${w.message}`)).toEqual([
      '2 services.a.ports[0].mode: mode of a port is not carried',
      "2 services.a.ports: ports without a host IP are published on 127.0.0.1 (firedrill's default), where compose would publish them on every interface: write 0.0.0.0:HOST:CONTAINER to open them",
      '5 volumes.data.name: name of volume data is not carried: firedrill names and labels the volumes it creates',
      '5 volumes.data: volume data is shared by a, b in compose; firedrill gives each container a volume of its own, so they no longer share it',
    ])
    const said = r.warnings.map((w) => `${w.line} ${w.field}: ${w.message}`)
    for (const [line, field, text] of [
      [4, 'services.a.deploy', 'deploy (replicas'],
      [5, 'services.a.secrets', 'secrets are not carried'],
      [6, 'services.a.configs', 'configs are not carried'],
      [7, 'services.a.depends_on', 'depends_on (db: service_healthy) is not carried'],
      [8, 'services.a.network_mode', 'network_mode is not carried'],
      [9, 'services.a.privileged', 'privileged is not carried'],
      [10, 'services.a.cap_add', 'cap_add is not carried'],
      [11, 'services.a.volumes[0]', 'the bind mount ./src:/src is not carried'],
      [12, 'services.a.tmpfs', 'the tmpfs at /tmp has no size'],
      [13, 'services.a.restart', 'restart: always is not carried'],
      [14, 'services.a.env_file', 'env_file is not read'],
      [15, 'services.a.environment[0]', 'environment variable FROM_SHELL has no value here'],
      [16, 'services.a.ports[0]', 'port 8080 with no host port'],
      [17, 'services.a.networks', 'network backend is not carried'],
      [19, 'secrets', 'secrets are not carried'],
      [20, 'networks.backend', 'network backend is not created'],
    ] as const) {
      expect(said, `${field}`).toContainEqual(expect.stringMatching(new RegExp(`^${line} ${field.replace(/[.[\]]/g, '\\$&')}: ${text.replace(/[()[\]./]/g, '\\$&')}`)))
    }
    expect(r.topology.services.a!.env).toBeUndefined()
  })
})

describe('import compose: bad input is exit 2 with file, line and field', () => {
  it('not YAML: file:line:column', () => {
    const file = tmp.write('bad.yml', 'services:\n  a: [unclosed\n')
    const e = issuesOf(() => YamlSource.parse(file, 'services:\n  a: [unclosed\n', {merge: true}))
    expect(e.issues[0]).toMatchObject({file, line: expect.any(Number), column: expect.any(Number)})
    const prose = issuesOf(() => YamlSource.parse(file, 'just some words', {merge: true}))
    expect(prose.issues[0]).toMatchObject({line: 1, column: 1, message: expect.stringContaining('expected a mapping')})
  })

  it('no services, or an empty services mapping', () => {
    expect(issuesOf(() => importText('version: "3.8"\nvolumes: {}\n')).issues).toEqual([expect.objectContaining({line: 1, field: 'services', message: expect.stringContaining('no services')})])
    expect(issuesOf(() => importText('services: {}\n')).issues).toEqual([expect.objectContaining({line: 1, field: 'services', message: 'no services: the services mapping is empty'})])
  })

  it('a bad x-firedrill block, a bad site name, a --site for no service', () => {
    const e = issuesOf(() => importText('services:\n  a: {image: x, x-firedrill: {site: Seoul, zone: 1}}\n', {sites: {b: 'east'}}))
    const fields = e.issues.map((i) => i.field)
    expect(fields).toEqual(expect.arrayContaining(['--site', 'services.a.x-firedrill.site', 'services.a.x-firedrill.zone']))
  })

  it('a cluster setting the topology schema refuses is reported at its compose service', () => {
    const e = issuesOf(() => importText('services:\n  db: {image: x, x-firedrill: {site: s, cluster: {manager: pacemaker}}}\n'))
    expect(e.issues[0]).toMatchObject({line: 2, field: 'services.db', message: expect.stringContaining("the topology's services.db.cluster.manager")})
  })
})
