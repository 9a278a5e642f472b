import http from 'node:http'
import https from 'node:https'

/**
 * One HTTP request on a connection of its own (no keep-alive: each sample sees whether a connection
 * opens now), telling apart what a client can know: refused or unreachable before anything was sent
 * (`not-sent`), cut off or timed out after the connection opened (`sent`: the server may have acted on
 * it), or answered. Node's own http client: no library of ours decides these.
 */
export type HttpTry =
  | {kind: 'answered'; status: number; body: string}
  | {kind: 'not-sent'; error: string}
  | {kind: 'sent'; error: string}

export interface HttpRequest {
  url: URL
  method: string
  headers?: Record<string, string>
  body?: string
  /** Sent as the Host header when given (the service's name, as a client resolving it would send). */
  host?: string
}

const MAX_BODY = 1024 * 1024

export function httpRequest(req: HttpRequest, signal: AbortSignal): Promise<HttpTry> {
  return new Promise((resolve) => {
    let connected = false
    let settled = false
    const done = (r: HttpTry) => {
      if (settled) return
      settled = true
      signal.removeEventListener('abort', onAbort)
      resolve(r)
    }
    const client = req.url.protocol === 'https:' ? https : http
    const headers: Record<string, string> = {...req.headers}
    if (req.host && !Object.keys(headers).some((h) => h.toLowerCase() === 'host')) headers.host = req.host
    if (req.body !== undefined) headers['content-length'] = String(Buffer.byteLength(req.body))
    const r = client.request(req.url, {method: req.method, headers, agent: false})
    // Listened for first: a request destroyed before its handlers were attached (a signal already aborted)
    // emits 'error' ("socket hang up"), which unheard ends the whole process (a sweep cell, 2026-12-01).
    r.on('error', (error: NodeJS.ErrnoException) => {
      const code = error.code ?? error.message
      done(connected ? {kind: 'sent', error: `${code} after the request was sent`} : {kind: 'not-sent', error: code})
    })
    const reason = () => (signal.reason instanceof Error ? signal.reason.message : String(signal.reason ?? 'aborted'))
    const onAbort = () => {
      done(connected ? {kind: 'sent', error: `${reason()} after the request was sent`} : {kind: 'not-sent', error: `${reason()} (no connection)`})
      r.destroy()
    }
    if (signal.aborted) return onAbort()
    signal.addEventListener('abort', onAbort, {once: true})
    r.on('socket', (socket) => {
      // 'secureConnect' for TLS: only then is the request on its way.
      socket.once(req.url.protocol === 'https:' ? 'secureConnect' : 'connect', () => {
        connected = true
      })
    })
    r.on('response', (res) => {
      const chunks: Buffer[] = []
      let size = 0
      res.on('data', (c: Buffer) => {
        size += c.length
        if (size <= MAX_BODY) chunks.push(c)
      })
      res.on('end', () => done({kind: 'answered', status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8')}))
      res.on('error', (error) => done({kind: 'sent', error: `answer cut off: ${error.message}`}))
    })
    r.end(req.body)
  })
}
