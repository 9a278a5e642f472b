import type {EngineEndpointSpec} from '../model/topology.js'

/** Where the Docker engine runs, as the runner sees it: the host its published ports are on, and whether that is this machine. */
export interface EngineEndpoint {
  /** What DOCKER_HOST (or the default socket) names, for messages. */
  describe: string
  /** The host a port the engine publishes is reached on from here. */
  publishedHost: string
  /** The engine runs on another machine (tcp:// or ssh:// to a host that is not this one's loopback). */
  remote: boolean
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '::1', '[::1]'])

/** Parse DOCKER_HOST the way docker-modem reads it: unix:// and npipe:// are local; tcp://, http(s):// and ssh:// name a host. */
export function engineEndpoint(dockerHost: string | undefined): EngineEndpoint {
  const describe = dockerHost ?? '/var/run/docker.sock'
  if (!dockerHost || /^(unix|npipe):\/\//.test(dockerHost) || dockerHost.startsWith('/')) return {describe, publishedHost: '127.0.0.1', remote: false}
  let host: string
  try {
    host = new URL(dockerHost).hostname
  } catch {
    return {describe, publishedHost: '127.0.0.1', remote: false}
  }
  if (host === '' || LOOPBACK.has(host)) return {describe, publishedHost: '127.0.0.1', remote: false}
  return {describe, publishedHost: host.replace(/^\[|\]$/g, ''), remote: true}
}

/** The same for one engine of a topology's `engines:` (`local` is what DOCKER_HOST, or the default socket, names). */
export function engineEndpointOf(spec: EngineEndpointSpec, env: string | undefined = process.env.DOCKER_HOST): EngineEndpoint {
  switch (spec.kind) {
    case 'local':
      return engineEndpoint(env)
    case 'unix':
      return engineEndpoint(`unix://${spec.socketPath}`)
    case 'tcp':
      return engineEndpoint(`tcp://${spec.host.includes(':') ? `[${spec.host}]` : spec.host}:${spec.port}`)
    case 'ssh':
      return engineEndpoint(`ssh://${spec.username ? `${spec.username}@` : ''}${spec.host.includes(':') ? `[${spec.host}]` : spec.host}:${spec.port}`)
  }
}
