import {execFileSync} from 'node:child_process'
import {existsSync, mkdirSync, readdirSync} from 'node:fs'
import path from 'node:path'

import {execa} from 'execa'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {PACKAGE_ROOT} from '../../src/paths.js'
import {SCRATCH} from '../support/cli.js'
import {labelled, NOTHING, testProject} from '../support/docker.js'
import {tempDir} from '../support/files.js'

/**
 * The packed tarball is the product: pack it, install it into a prefix of its own as `npm install -g`
 * would, and from a directory that has nothing to do with this repository run a drill of a topology
 * written there, then verify the evidence it left. (The npm cache from `npm ci` serves the dependencies.)
 */
const LONG = {timeout: 480_000}
let tmp: ReturnType<typeof tempDir>
let bin: string
let work: string
let installOutput: string
const project = testProject()

/** A topology of the user's own, not one of firedrill's: three sites named differently, the image already built. */
const topology = (name: string) => `name: ${name}
description: a ledger over three regions, written by the user
sites:
  east: {role: primary}
  west: {role: standby}
  north: {role: replica}
services:
  etcd:
    sites: [east, west, north]
    image: firedrill/bank-node:15
    command: [etcd]
    env:
      ETCD_NAME: etcd-\${site}
      ETCD_INITIAL_CLUSTER: etcd-east=http://etcd-east:2380,etcd-west=http://etcd-west:2380,etcd-north=http://etcd-north:2380
      ETCD_INITIAL_CLUSTER_TOKEN: ${name}
      ETCD_PRE_VOTE: 'true'
    health: {test: [curl, -fsS, --max-time, '2', http://127.0.0.1:2379/health], timeout: 3s}
  postgres:
    sites: [east, west, north]
    image: firedrill/bank-node:15
    command: [patroni]
    env:
      PATRONI_NAME: postgres-\${site}
      PATRONI_SCOPE: ledger
      PATRONI_ETCD3_HOSTS: etcd-east:2379,etcd-west:2379,etcd-north:2379
      PATRONI_SUPERUSER_PASSWORD: s3cret-user-pw
      PATRONI_REPLICATION_PASSWORD: s3cret-repl-pw
      PATRONI_NOFAILOVER: 'false'
      PATRONI_CAN_BOOTSTRAP: 'false'
    per_site:
      east: {env: {PATRONI_CAN_BOOTSTRAP: 'true'}}
      north: {env: {PATRONI_NOFAILOVER: 'true', PATRONI_NOSYNC: 'true'}}
    health: {test: [curl, -fsS, --max-time, '2', http://127.0.0.1:8008/health], timeout: 3s}
    cluster:
      manager: patroni
      api_port: 8008
      ready_when: {leader: 1, sync_standby: 1, replica: 1}
    stop_timeout: 10s
up_timeout: 180s
`

const DRILL = `name: lose-the-leader
topology: ./topology.yaml
objectives: {rto: 30s, rpo: 0s}
probe: {kind: postgres-write, service: postgres, password: s3cret-user-pw, interval: 100ms, timeout: 1s}
steps:
  - sleep: 2s
  - fault: kill
    target: {service: postgres, role: leader}
  - wait: recovered
    timeout: 60s
`

beforeAll(async () => {
  tmp = tempDir()
  const packed = execFileSync('npm', ['pack', '--pack-destination', tmp.dir, '--silent'], {cwd: PACKAGE_ROOT, encoding: 'utf8'}).trim().split('\n').at(-1)!
  const prefix = path.join(tmp.dir, 'prefix')
  const install = await execa('npm', ['install', '-g', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', path.join(tmp.dir, packed)], {timeout: 300_000, all: true})
  installOutput = String(install.all)
  bin = path.join(prefix, 'bin', 'firedrill')
  work = path.join(tmp.dir, 'elsewhere')
  mkdirSync(work)
}, 360_000)
afterAll(async () => {
  if (bin) await execa(bin, ['down', '--topology', path.join(work, 'topology.yaml')], {reject: false, cwd: work, env: SCRATCH})
  expect(await labelled(project)).toEqual(NOTHING)
  tmp.cleanup()
})

/** The installed CLI, run from the unrelated directory with its own FIREDRILL_HOME. */
const installed = (args: string[], env: Record<string, string> = {}) =>
  execa(bin, args, {reject: false, cwd: work, stdin: 'ignore', timeout: LONG.timeout, env: {...SCRATCH, FIREDRILL_HOME: path.join(work, '.firedrill'), ...env}})

describe('installed from the packed tarball, not run from the clone', () => {
  it('installs quietly: no install-script warnings (dockerode and its ssh2 ship bundled; bundled packages run no install scripts)', () => {
    expect(installOutput).toMatch(/added \d+ packages/)
    expect(installOutput).not.toMatch(/warn|install-scripts|ssh2|cpu-features|protobufjs/i)
  })

  it("keeps dockerode's ssh:// transport: the installed copy opens an SSH session (ssh2, pure JavaScript)", async () => {
    // A loopback listener stands in for an engine's sshd: what arrives first is the client's SSH banner.
    const {createServer} = await import('node:net')
    const server = createServer()
    const banner = new Promise<string>((resolve) => server.on('connection', (s) => s.once('data', (d) => (resolve(String(d)), s.destroy()))))
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const {port} = server.address() as {port: number}
    const dir = path.join(tmp.dir, 'prefix', 'lib', 'node_modules', 'firedrill')
    const ping = `new (require('dockerode'))({protocol: 'ssh', host: '127.0.0.1', port: ${port}, username: 'firedrill', sshOptions: {readyTimeout: 5000}}).ping().catch(() => {})`
    const child = execa('node', ['-e', ping], {cwd: dir, reject: false, timeout: 20_000})
    try {
      expect(await banner).toMatch(/^SSH-2\.0-ssh2js/)
    } finally {
      child.kill()
      server.close()
      await child
    }
  })

  it('knows where its shipped drills are: inside the installed package', async () => {
    const r = await installed(['drills', 'list', '--json'])
    expect(r.exitCode).toBe(0)
    const out = JSON.parse(String(r.stdout))
    expect(out.shipped_drills).toBe(path.join(tmp.dir, 'prefix', 'lib', 'node_modules', 'firedrill', 'drills'))
    expect(out.drills.map((d: {name: string}) => d.name)).toContain('kill-primary')
  })

  it('runs a drill of a topology written in an unrelated directory, then verifies the evidence bundle it left', async () => {
    const {writeFileSync} = await import('node:fs')
    writeFileSync(path.join(work, 'topology.yaml'), topology(project))
    writeFileSync(path.join(work, 'lose-the-leader.yaml'), DRILL)
    // As a GitHub Actions job would run it: JSON on stdout, the table on stderr, a step summary appended.
    const summary = path.join(tmp.dir, 'step-summary.md')
    writeFileSync(summary, '')
    const r = await installed(['run', 'lose-the-leader.yaml', '--ci', '--reporter', 'json,table'], {GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: summary, GITHUB_WORKSPACE: work})
    expect(r.exitCode, String(r.stderr).slice(-3000)).toBe(0)
    expect(String(r.stderr)).toMatch(/lose-the-leader.*PASS|PASS.*lose-the-leader/is)
    const {readFileSync} = await import('node:fs')
    expect(readFileSync(summary, 'utf8')).toMatch(/^\| lose-the-leader \| ✅ pass \| [\d.]+ s \| 0 ms \| 0 \| 1 \|$/m)
    const result = JSON.parse(String(r.stdout).trim())
    expect(result).toMatchObject({drill: 'lose-the-leader', topology: project, verdict: 'pass'})
    expect(result.measurements.lost_writes).toBe(0)
    const runs = path.join(work, '.firedrill', 'runs')
    const [bundle] = readdirSync(runs)
    expect(existsSync(path.join(runs, bundle!, 'manifest.json'))).toBe(true)
    const verify = await installed(['evidence', 'verify', path.join(runs, bundle!)])
    expect(verify.exitCode, String(verify.stdout)).toBe(0)
    // Brought up by the run, taken down by it.
    expect(await labelled(project)).toEqual(NOTHING)
  })
})
