/**
 * Several Docker engines on this one machine, for the tests of sites on separate hosts (issue 14).
 *
 * Each inner engine is a container of the host engine running Debian's docker.io
 * (test/fixtures/inner-engine): `--cap-add ALL --cap-drop SYS_RESOURCE` with seccomp and AppArmor
 * unconfined (the kernel here refuses --privileged), its entrypoint remounting the cgroup v1
 * hierarchies read-write, /var/lib/docker on a volume (overlay2), its API on plain TCP 2375 on a
 * bridge network of the host engine (lab only: no authentication). The runner on the host reaches
 * every engine's API at `tcp://IP:2375`; it cannot route to the containers those engines run.
 *
 * Everything the lab makes on the host engine (the network, the engine containers, their volumes)
 * carries `io.firedrill.project=<project>` and `io.firedrill.role=engine-lab`, so the integration
 * teardown check and `firedrill cleanup` see it, and `remove()` takes it all away.
 * It talks to the engines with the docker CLI (test code: src/engine stays the only dockerode user).
 *
 * `tls: true`: the engines listen on `tcp://IP:2376` with --tlsverify instead; the lab makes a CA, a
 * server certificate per engine (subjectAltName its IP, so each engine gets a fixed address on the lab
 * subnet) and one client directory (ca.pem, cert.pem, key.pem), all in a temporary directory removed with
 * the lab. `sshAuthorizedKey`: sshd runs in each engine for `ssh://root@IP` with that public key, its
 * own host keys made at start (read back into `sshHostKeys` for a known_hosts file).
 */
import {mkdirSync, readFileSync} from 'node:fs'
import {copyFile, mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {execa} from 'execa'
import {LABEL} from '../../src/engine/labels.js'
import {DEFAULT_TOPOLOGY} from '../../src/paths.js'
import {clientDir, issue, makeCa, type Ca} from './pki.js'

export const INNER_ENGINE_IMAGE = 'firedrill/inner-engine:2'
export const ENGINE_LAB_ROLE = 'engine-lab'
const CONTEXT = fileURLToPath(new URL('../fixtures/inner-engine/', import.meta.url))

export interface InnerEngine {
  /** engine1, engine2, ... */
  name: string
  /** The host engine's container running this engine. */
  container: string
  volume: string
  /** Its address on the lab network (the swarm advertise address too). */
  ip: string
  /** `tcp://IP:2375` (`tcp://IP:2376` with TLS): what DOCKER_HOST or a topology's `engines:` entry names. */
  host: string
  /** The docker CLI's global flags that reach it: `-H HOST`, and the TLS flags with TLS. */
  cli: string[]
  /** With `tls`: the lab's client certificate directory (DOCKER_CERT_PATH layout). */
  tls?: {dir: string; ca: string; cert: string; key: string}
  /** With `sshAuthorizedKey`: the engine's SSH host public keys, `TYPE BASE64` each. */
  sshHostKeys: string[]
}

export interface EngineLab {
  project: string
  network: string
  engines: InnerEngine[]
  /** The i-th engine (0-based); throws when there is none. */
  at(i: number): InnerEngine
  /** Run the docker CLI against one engine (argv, never a shell). */
  docker(engine: InnerEngine, args: string[], opts?: {timeoutMs?: number; reject?: boolean}): Promise<{exitCode: number; stdout: string; stderr: string}>
  /** The engine's API becomes unreachable (connections reset, new ones refused): an engine lost, as a host gone. */
  lose(engine: InnerEngine): Promise<void>
  /** The engine answers again. */
  restore(engine: InnerEngine): Promise<void>
  /** Every engine, its volume and the lab network gone from the host engine. Safe to call twice. */
  remove(): Promise<void>
}

export interface EngineLabOptions {
  /** The project label and the name prefix of everything on the host engine (prefix it with your branch). */
  project: string
  count: number
  /** Images copied from the host engine onto every inner engine (docker save | docker load). */
  images?: string[]
  /** Form a swarm: the first engine initialises it, the others join as managers (default true). */
  swarm?: boolean
  /** Deadline for one engine to answer after its container started. */
  readyTimeoutMs?: number
  /** The engines' API on tcp 2376 with --tlsverify (certificates made by the lab), not plain tcp 2375. */
  tls?: boolean
  /** An SSH public key let in as root by sshd in each engine (port 22). */
  sshAuthorizedKey?: string
}

async function host(args: string[], opts: {timeoutMs?: number; reject?: boolean; input?: string} = {}) {
  const r = await execa('docker', args, {reject: false, timeout: opts.timeoutMs ?? 120_000, input: opts.input})
  if (opts.reject !== false && r.exitCode !== 0) throw new Error(`docker ${args.join(' ')}: exit ${r.exitCode}: ${String(r.stderr).trim()}`)
  return {exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr)}
}

/** The base image the fixtures are built on: debian:bookworm-slim when present, else setup.sh's debootstrap image. */
export async function baseImage(): Promise<string> {
  if (process.env.BASE_IMAGE) return process.env.BASE_IMAGE
  for (const ref of ['debian:bookworm-slim', 'firedrill/debian-base:bookworm']) {
    if ((await host(['image', 'inspect', ref], {reject: false})).exitCode === 0) return ref
  }
  throw new Error('no base image on the host engine (debian:bookworm-slim or firedrill/debian-base:bookworm): run scripts/setup.sh')
}

/** Builds the inner-engine image once (about 45 s here); later calls find it. */
export async function ensureInnerEngineImage(): Promise<void> {
  if ((await host(['image', 'inspect', INNER_ENGINE_IMAGE], {reject: false})).exitCode === 0) return
  await host(['build', '-q', '--build-arg', `BASE_IMAGE=${await baseImage()}`, '-t', INNER_ENGINE_IMAGE, CONTEXT], {timeoutMs: 900_000})
}

/** `docker save IMAGES | docker -H ENGINE load` for each engine, in parallel, from one saved file. */
async function loadImages(engines: InnerEngine[], images: string[]): Promise<void> {
  if (images.length === 0) return
  const dir = await mkdtemp(join(tmpdir(), 'firedrill-engine-lab-'))
  const file = join(dir, 'images.tar')
  try {
    await host(['save', '-o', file, ...images], {timeoutMs: 600_000})
    await Promise.all(engines.map((e) => host([...e.cli, 'load', '-q', '-i', file], {timeoutMs: 600_000})))
  } finally {
    await rm(dir, {recursive: true, force: true})
  }
}

async function waitReady(e: InnerEngine, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  let last = ''
  while (Date.now() < deadline) {
    const r = await host([...e.cli, 'version', '--format', '{{.Server.Version}}'], {reject: false, timeoutMs: 5_000})
    if (r.exitCode === 0) return
    last = r.stderr.trim()
    await new Promise((res) => setTimeout(res, 500))
  }
  const logs = await host(['logs', '--tail', '20', e.container], {reject: false})
  throw new Error(`inner engine ${e.name} (${e.host}) did not answer within ${timeoutMs / 1000} s: ${last}\n${logs.stdout}${logs.stderr}`)
}

/** Starts `count` engines, waits for each, forms the swarm and loads the images. On any failure everything made is removed. */
export async function startEngines(opts: EngineLabOptions): Promise<EngineLab> {
  const {project, count} = opts
  const labels = ['--label', `${LABEL.project}=${project}`, '--label', `${LABEL.role}=${ENGINE_LAB_ROLE}`]
  const network = `${project}-lab`
  const engines: InnerEngine[] = []
  let removed = false
  const apiPort = opts.tls ? 2376 : 2375
  let pkiDir: string | undefined

  const lab: EngineLab = {
    project,
    network,
    engines,
    at: (i) => {
      const e = engines[i]
      if (!e) throw new Error(`engine lab ${project} has ${engines.length} engines, not ${i + 1}`)
      return e
    },
    docker: (e, args, o = {}) => host([...e.cli, ...args], o),
    lose: async (e) => {
      // Its API refuses everyone from now on, open connections included (a reset on their next packet):
      // every call fails at once, as with a host gone, while its containers keep their state for later.
      await host(['exec', e.container, 'iptables', '-I', 'INPUT', '-p', 'tcp', '--dport', String(apiPort), '-j', 'REJECT', '--reject-with', 'tcp-reset'])
    },
    restore: async (e) => {
      await host(['exec', e.container, 'iptables', '-D', 'INPUT', '-p', 'tcp', '--dport', String(apiPort), '-j', 'REJECT', '--reject-with', 'tcp-reset'], {reject: false})
      await waitReady(e, 30_000)
    },
    remove: async () => {
      if (removed) return
      removed = true
      const all = await host(['ps', '-aq', '--filter', `label=${LABEL.project}=${project}`, '--filter', `label=${LABEL.role}=${ENGINE_LAB_ROLE}`], {reject: false})
      const ids = all.stdout.split('\n').filter(Boolean)
      // A frozen engine cannot stop its containers; thaw it first (a test may have paused one). Then a graceful stop: dockerd stops its
      // own containers on SIGTERM, so no cgroup or shim of theirs outlives the engine.
      await Promise.all(ids.map((id) => host(['unpause', id], {reject: false})))
      if (ids.length > 0) await host(['stop', '-t', '20', ...ids], {reject: false, timeoutMs: 60_000})
      if (ids.length > 0) await host(['rm', '-f', '-v', ...ids], {reject: false, timeoutMs: 60_000})
      const vols = await host(['volume', 'ls', '-q', '--filter', `label=${LABEL.project}=${project}`], {reject: false})
      const names = vols.stdout.split('\n').filter(Boolean)
      if (names.length > 0) await host(['volume', 'rm', '-f', ...names], {reject: false})
      await host(['network', 'rm', network], {reject: false})
      if (pkiDir) await rm(pkiDir, {recursive: true, force: true})
      const left = await host(['ps', '-aq', '--filter', `label=${LABEL.project}=${project}`], {reject: false})
      if (left.stdout.trim() !== '') throw new Error(`engine lab ${project}: containers left on the host engine: ${left.stdout.trim()}`)
    },
  }

  try {
    await ensureInnerEngineImage()
    const prefix = await createLabNetwork(network, labels)
    let ca: Ca | undefined
    let client: InnerEngine['tls']
    if (opts.tls) {
      pkiDir = await mkdtemp(join(tmpdir(), `${project}-pki-`))
      ca = await makeCa(join(pkiDir, 'ca'), `${project} lab CA`)
      client = await clientDir(ca, ca, join(pkiDir, 'client'))
    }
    for (let i = 1; i <= count; i++) {
      const name = `engine${i}`
      const container = `${project}-${name}`
      // A fixed address, so that the server certificate can name it before the engine starts.
      const fixedIp = `${prefix}.${9 + i}`
      const extra: string[] = []
      if (ca && pkiDir) {
        const serverDir = join(pkiDir, name)
        mkdirSync(serverDir)
        // The entrypoint reads /certs/ca.pem (the CA client certificates must chain to), server-cert.pem, server-key.pem.
        await issue(ca, serverDir, 'server', {cn: container, ip: fixedIp})
        await copyFile(ca.cert, join(serverDir, 'ca.pem'))
        extra.push('-e', 'INNER_ENGINE_TLS=1', '-v', `${serverDir}:/certs:ro`)
      }
      if (opts.sshAuthorizedKey) extra.push('-e', `INNER_ENGINE_AUTHORIZED_KEY=${opts.sshAuthorizedKey}`)
      await host(['volume', 'create', ...labels, container])
      await host([
        'run', '-d', '--name', container, '--hostname', container, ...labels,
        '--label', `${LABEL.service}=${name}`,
        '--network', network, '--ip', fixedIp,
        '--cap-add', 'ALL', '--cap-drop', 'SYS_RESOURCE',
        '--security-opt', 'seccomp=unconfined', '--security-opt', 'apparmor=unconfined',
        '-v', `${container}:/var/lib/docker`,
        ...extra,
        INNER_ENGINE_IMAGE,
      ])
      const ip = (await host(['inspect', '-f', `{{(index .NetworkSettings.Networks "${network}").IPAddress}}`, container])).stdout.trim()
      const address = `tcp://${ip}:${apiPort}`
      const cli = client ? ['-H', address, '--tlsverify', '--tlscacert', client.ca, '--tlscert', client.cert, '--tlskey', client.key] : ['-H', address]
      engines.push({name, container, volume: container, ip, host: address, cli, ...(client ? {tls: client} : {}), sshHostKeys: []})
    }
    await Promise.all(engines.map((e) => waitReady(e, opts.readyTimeoutMs ?? 60_000)))
    if (opts.sshAuthorizedKey) {
      for (const e of engines) {
        const keys = await host(['exec', e.container, 'sh', '-c', 'cat /etc/ssh/ssh_host_*_key.pub'])
        e.sshHostKeys = keys.stdout.split('\n').map((l) => l.trim().split(/\s+/).slice(0, 2).join(' ')).filter((l) => l !== '')
      }
    }
    if (opts.swarm !== false && engines.length > 0) await formSwarm(lab)
    await loadImages(engines, opts.images ?? [])
    return lab
  } catch (error) {
    await lab.remove().catch(() => undefined)
    throw error
  }
}

/**
 * The lab network, on a subnet of its own in 10.250.0.0/16 (so that an engine cut off can come back at its
 * own address: `network connect --ip` needs a configured subnet); another one is tried when one is taken.
 * Returns the subnet's first three octets (engine i gets .9+i).
 */
async function createLabNetwork(network: string, labels: string[]): Promise<string> {
  let last = ''
  for (let attempt = 0; attempt < 8; attempt++) {
    const octet = 1 + Math.floor(Math.random() * 254)
    const r = await host(['network', 'create', ...labels, '--subnet', `10.250.${octet}.0/24`, network], {reject: false})
    if (r.exitCode === 0) return `10.250.${octet}`
    last = r.stderr.trim()
    if (!/overlap/i.test(last)) break
  }
  throw new Error(`could not create the engine lab network ${network}: ${last}`)
}

/** The first engine initialises the swarm; every other joins as a manager (any may then create overlays). */
async function formSwarm(lab: EngineLab): Promise<void> {
  const first = lab.at(0)
  const rest = lab.engines.slice(1)
  await lab.docker(first, ['swarm', 'init', '--advertise-addr', first.ip])
  const token = (await lab.docker(first, ['swarm', 'join-token', '-q', 'manager'])).stdout.trim()
  for (const e of rest) await lab.docker(e, ['swarm', 'join', '--advertise-addr', e.ip, '--token', token, `${first.ip}:2377`])
}

/** The swarm join command an engine outside the swarm would be told to run (worker token). */
export async function workerJoinToken(lab: EngineLab): Promise<string> {
  return (await lab.docker(lab.at(0), ['swarm', 'join-token', '-q', 'worker'])).stdout.trim()
}

/**
 * The shipped bank-3site as project `project`, one site per engine (seoul on hosts[0], gyeonggi on hosts[1],
 * busan on hosts[2]): only `engines:` and `engine:` lines added (insecure TCP: lab engines), build context absolute.
 * The multi-engine test and bench/multi-engine.js drill this.
 */
export function spreadBank3site(project: string, hosts: string[]): string {
  const text = readFileSync(DEFAULT_TOPOLOGY, 'utf8')
    .replace(/^name: bank-3site$/m, `name: ${project}`)
    .replace(/context: \.\/image/g, `context: ${join(dirname(DEFAULT_TOPOLOGY), 'image')}`)
    .replace(/^sites:$/m, `engines:\n${hosts.map((h, i) => `  host-${'abc'[i]}: {host: "${h}", insecure: true}`).join('\n')}\n\nsites:`)
  let i = 0
  return text.replace(/^(  (?:seoul|gyeonggi|busan):\n    role: \w+)$/gm, (m) => `${m}\n    engine: host-${'abc'[i++]}`)
}
