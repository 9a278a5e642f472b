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

