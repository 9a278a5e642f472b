import {mkdirSync} from 'node:fs'
import type {AddressInfo} from 'node:net'
import path from 'node:path'

import ssh2 from 'ssh2'
import {afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi} from 'vitest'

import {DockerEngine} from '../../src/engine/docker.js'
import {EngineUnavailableError, EnvironmentError} from '../../src/errors.js'
import type {EngineEndpointSpec} from '../../src/model/topology.js'
import {tempDir} from '../support/files.js'

// How a DockerEngine authenticates over ssh://, against an SSH server of ssh2's on loopback that answers
// `docker system dial-stdio` with one HTTP response for GET /version, as dockerd would. The real engine
// over SSH (and TLS) is driven in test/multi-engine/remote-auth.test.ts.

const VERSION = {Version: '20.10.24', ApiVersion: '1.41', Os: 'linux', Arch: 'amd64', KernelVersion: '6.1'}

let tmp: ReturnType<typeof tempDir>
let server: ssh2.Server
let port: number
const hostKey = ssh2.utils.generateKeyPairSync('ed25519')
const clientKey = ssh2.utils.generateKeyPairSync('ed25519')
const strangerKey = ssh2.utils.generateKeyPairSync('ed25519')
const commands: string[] = []

beforeAll(async () => {
  const allowed = ssh2.utils.parseKey(clientKey.public) as ssh2.ParsedKey
  server = new ssh2.Server({hostKeys: [hostKey.private]}, (client) => {
    client.on('error', () => undefined)
    client.on('authentication', (ctx) => {
      if (ctx.method !== 'publickey' || !ctx.key.data.equals(allowed.getPublicSSH())) return ctx.reject(['publickey'])
      if (!ctx.signature) return ctx.accept()
      return allowed.verify(ctx.blob!, ctx.signature, ctx.hashAlgo) === true ? ctx.accept() : ctx.reject(['publickey'])
    })
    client.on('ready', () => {
      client.on('session', (accept) => {
        accept().on('exec', (acceptExec, _reject, info) => {
          commands.push(info.command)
          const stream = acceptExec()
          stream.once('data', () => {
            const body = JSON.stringify(VERSION)
            stream.write(`HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`)
            stream.exit(0)
            stream.end()
          })
        })
      })
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  port = (server.address() as AddressInfo).port
})
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

beforeEach(() => {
  tmp = tempDir()
  commands.length = 0
})
afterEach(() => {
  tmp.cleanup()
  vi.unstubAllEnvs()
})

const knownHostsLine = (key: string) => `[127.0.0.1]:${port} ${key.split(' ').slice(0, 2).join(' ')}\n`
function sshEndpoint(opts: {knownHosts: string; privateKey?: string}): Extract<EngineEndpointSpec, {kind: 'ssh'}> {
  return {kind: 'ssh', host: '127.0.0.1', port, username: 'root', knownHosts: tmp.write('known_hosts', opts.knownHosts), ...(opts.privateKey === undefined ? {} : {privateKey: tmp.write('id_ed25519', opts.privateKey)})}
}
const engine = (endpoint: EngineEndpointSpec) => new DockerEngine({endpoint, describe: `ssh://root@127.0.0.1:${port}`, name: 'remote'})

describe('an ssh:// engine: private key file, known_hosts', () => {
  it('a known host and an accepted key: the engine answers through docker system dial-stdio; its endpoint and transport are named', async () => {
    const e = engine(sshEndpoint({knownHosts: knownHostsLine(hostKey.public), privateKey: clientKey.private}))
    try {
      expect(await e.info()).toEqual({version: '20.10.24', apiVersion: '1.41', os: 'linux/amd64 6.1', endpoint: `ssh://root@127.0.0.1:${port}`, transport: 'ssh'})
    } finally {
      e.close()
    }
    expect(commands).toEqual(['docker system dial-stdio'])
  })

  it('a host not in known_hosts is refused (exit 3), naming the engine, the file and the ssh-keyscan line; nothing is run there', async () => {
    const endpoint = sshEndpoint({knownHosts: '', privateKey: clientKey.private})
    const error = await engine(endpoint).info().catch((error_: unknown) => error_)
    expect(error).toBeInstanceOf(EngineUnavailableError)
    expect((error as Error).message).toContain(`ssh://root@127.0.0.1:${port} (engine remote)`)
    expect((error as Error).message).toContain(`the host key of [127.0.0.1]:${port} is not in ${endpoint.knownHosts}`)
    expect((error as Error).message).toContain(`ssh-keyscan -p ${port} 127.0.0.1 >> ${endpoint.knownHosts}`)
    expect(commands).toEqual([])
  })

  it('a changed host key is refused (exit 3) as another machine at that address', async () => {
    const error = await engine(sshEndpoint({knownHosts: knownHostsLine(strangerKey.public), privateKey: clientKey.private}))
      .info()
      .catch((error_: unknown) => error_)
    expect(error).toBeInstanceOf(EngineUnavailableError)
    expect((error as Error).message).toMatch(/differs from the one in .*known_hosts: another machine answers at that address/)
    expect(commands).toEqual([])
  })

  it('a key the server does not accept: exit 3, saying the keys were refused and where the public key must be', async () => {
    const error = await engine(sshEndpoint({knownHosts: knownHostsLine(hostKey.public), privateKey: strangerKey.private}))
      .info()
      .catch((error_: unknown) => error_)
    expect(error).toBeInstanceOf(EngineUnavailableError)
    expect((error as Error).message).toMatch(/refused every key offered/)
    expect((error as EngineUnavailableError).suggestions.join('\n')).toMatch(/authorized_keys/)
  })

  it('DOCKER_HOST=ssh://: the host key is checked against ~/.ssh/known_hosts too (docker-modem alone takes any), keys from the agent', async () => {
    vi.stubEnv('HOME', tmp.dir)
    vi.stubEnv('SSH_AUTH_SOCK', '')
    vi.stubEnv('DOCKER_HOST', `ssh://root@127.0.0.1:${port}`)
    mkdirSync(path.join(tmp.dir, '.ssh'))
    const knownHosts = tmp.write('.ssh/known_hosts', '')
    const unknown = await new DockerEngine().info().catch((error_: unknown) => error_)
    expect(unknown).toBeInstanceOf(EngineUnavailableError)
    expect((unknown as Error).message).toContain(`the host key of [127.0.0.1]:${port} is not in ${knownHosts}`)
    // Known now; no agent, so no key to offer: the server refuses us, and that is said.
    tmp.write('.ssh/known_hosts', knownHostsLine(hostKey.public))
    const noKey = await new DockerEngine().info().catch((error_: unknown) => error_)
    expect(noKey).toBeInstanceOf(EngineUnavailableError)
    expect((noKey as Error).message).toMatch(/refused every key offered/)
    expect(commands).toEqual([])
  })

  it('no key file and no ssh-agent, or a key with a passphrase: exit 2 before any connection', () => {
    vi.stubEnv('SSH_AUTH_SOCK', '')
    expect(() => engine(sshEndpoint({knownHosts: ''}))).toThrow(EnvironmentError)
    expect(() => engine(sshEndpoint({knownHosts: ''}))).toThrow(/has no SSH key: give its ssh.private_key/)
    const locked = ssh2.utils.generateKeyPairSync('ed25519', {passphrase: 'secret words', cipher: 'aes256-ctr', rounds: 4})
    expect(() => engine(sshEndpoint({knownHosts: '', privateKey: locked.private}))).toThrow(/SSH private key of the engine at .* cannot be used/)
  })
})
