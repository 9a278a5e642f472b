import {mkdtempSync, rmSync} from 'node:fs'
import net from 'node:net'
import {tmpdir} from 'node:os'
import path from 'node:path'

const ENGINE_SOCKET = '/var/run/docker.sock'

/**
 * A unix socket in front of the real Docker engine, for tests of an engine that goes away without
 * touching dockerd (others use it): point the CLI at it with `DOCKER_HOST`, then `cut()` destroys
 * every connection and stops listening (the socket file goes, so a new connection fails with ENOENT,
 * as with a dead engine), and `restore()` listens again on the same path.
 */
export interface DockerProxy {
  /** `unix://<path>`, for DOCKER_HOST. */
  readonly host: string
  cut(): Promise<void>
  restore(): Promise<void>
  close(): Promise<void>
}

export async function dockerProxy(): Promise<DockerProxy> {
  const dir = mkdtempSync(path.join(tmpdir(), 'firedrill-proxy-'))
  const socket = path.join(dir, 'docker.sock')
  const open = new Set<net.Socket>()
  let server: net.Server | undefined

  const listen = async () => {
    const s = net.createServer((client) => {
      const engine = net.connect(ENGINE_SOCKET)
      open.add(client).add(engine)
      const drop = () => {
        client.destroy()
        engine.destroy()
        open.delete(client)
        open.delete(engine)
      }
      client.on('error', drop).on('close', drop)
      engine.on('error', drop).on('close', drop)
      client.pipe(engine)
      engine.pipe(client)
    })
    await new Promise<void>((resolve, reject) => s.once('error', reject).listen(socket, resolve))
    server = s
  }
  const stop = async () => {
    const s = server
    server = undefined
    if (!s) return
    const closed = new Promise<void>((resolve) => s.close(() => resolve()))
    for (const c of open) c.destroy()
    open.clear()
    await closed
    rmSync(socket, {force: true})
  }

  await listen()
  return {
    host: `unix://${socket}`,
    cut: stop,
    restore: listen,
    async close() {
      await stop()
      rmSync(dir, {recursive: true, force: true})
    },
  }
}
