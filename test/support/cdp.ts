import {spawn, type ChildProcess} from 'node:child_process'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {CHROMIUM_FLAGS} from '../../src/report/chromium.js'

import {requireTool} from './tools.js'

/**
 * A real headless Chromium (Debian's chromium) driven over the DevTools protocol on 127.0.0.1, so a
 * test can load a page, see every request it makes, and ask the laid-out page questions.
 */
export class Browser {
  private nextId = 1
  private readonly pending = new Map<number, {resolve: (v: unknown) => void; reject: (e: Error) => void}>()
  private readonly listeners: ((method: string, params: Record<string, unknown>) => void)[] = []

  private constructor(
    private readonly child: ChildProcess,
    private readonly ws: WebSocket,
    private readonly profile: string,
  ) {
    ws.addEventListener('message', (ev) => {
      const msg = JSON.parse(String(ev.data)) as {id?: number; result?: unknown; error?: {message: string}; method?: string; params?: Record<string, unknown>}
      if (msg.id !== undefined) {
        const p = this.pending.get(msg.id)
        this.pending.delete(msg.id)
        if (msg.error) p?.reject(new Error(msg.error.message))
        else p?.resolve(msg.result)
      } else if (msg.method) for (const l of this.listeners) l(msg.method, msg.params ?? {})
    })
  }

  static async launch(): Promise<Browser> {
    const binary = requireTool('chromium', 'chromium')
    const profile = mkdtempSync(path.join(tmpdir(), 'firedrill-cdp-'))
    const child = spawn(
      binary,
      [
        ...CHROMIUM_FLAGS,
        `--user-data-dir=${profile}`,
        '--remote-debugging-address=127.0.0.1',
        '--remote-debugging-port=0',
        '--window-size=1200,1600',
        'about:blank',
      ],
      {stdio: ['ignore', 'ignore', 'pipe']},
    )
    const port = await new Promise<number>((resolve, reject) => {
      let seen = ''
      const timer = setTimeout(() => reject(new Error(`chromium did not open its DevTools port:\n${seen}`)), 30_000)
      child.stderr!.on('data', (chunk: Buffer) => {
        seen += chunk.toString()
        const m = seen.match(/DevTools listening on ws:\/\/127\.0\.0\.1:(\d+)\//)
        if (m) {
          clearTimeout(timer)
          resolve(Number(m[1]))
        }
      })
      child.on('exit', (code) => reject(new Error(`chromium exited (${code}):\n${seen}`)))
    })
    const targets = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as {type: string; webSocketDebuggerUrl: string}[]
    const page = targets.find((t) => t.type === 'page')
    if (!page) throw new Error('chromium opened no page')
    const ws = new WebSocket(page.webSocketDebuggerUrl)
    await new Promise((resolve, reject) => {
      ws.addEventListener('open', resolve, {once: true})
      ws.addEventListener('error', () => reject(new Error('cannot connect to chromium')), {once: true})
    })
    return new Browser(child, ws, profile)
  }

  send<T = Record<string, unknown>>(method: string, params: Record<string, unknown> = {}): Promise<T> {
    const id = this.nextId++
    this.ws.send(JSON.stringify({id, method, params}))
    return new Promise<T>((resolve, reject) => this.pending.set(id, {resolve: resolve as (v: unknown) => void, reject}))
  }

  /** Load a file; resolves with every URL the page requested once it has loaded. */
  async open(file: string): Promise<string[]> {
    const requests: string[] = []
    this.listeners.push((method, params) => {
      if (method === 'Network.requestWillBeSent') requests.push((params.request as {url: string}).url)
    })
    await this.send('Network.enable')
    await this.send('Page.enable')
    const loaded = new Promise<void>((resolve) => this.listeners.push((method) => method === 'Page.loadEventFired' && resolve()))
    await this.send('Page.navigate', {url: `file://${path.resolve(file)}`})
    await loaded
    return requests
  }

  /** Evaluate an expression in the page and return its JSON value. */
  async evaluate<T>(expression: string): Promise<T> {
    const r = await this.send<{result: {value: T}; exceptionDetails?: {text: string}}>('Runtime.evaluate', {expression, returnByValue: true})
    if (r.exceptionDetails) throw new Error(`page threw: ${r.exceptionDetails.text}`)
    return r.result.value
  }

  async pdf(): Promise<Buffer> {
    const r = await this.send<{data: string}>('Page.printToPDF', {printBackground: true})
    return Buffer.from(r.data, 'base64')
  }

  async close(): Promise<void> {
    this.ws.close()
    this.child.kill('SIGTERM')
    await new Promise((resolve) => (this.child.exitCode !== null ? resolve(undefined) : this.child.once('exit', resolve)))
    rmSync(this.profile, {recursive: true, force: true})
  }
}
