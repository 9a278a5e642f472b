import {randomBytes} from 'node:crypto'
import path from 'node:path'

import {EnvironmentError, errorMessage} from '../errors.js'
import type {ContainerExec, ContainerLifecycle, Containers, ExecResult, ImageStore} from '../engine/engine.js'
import {LABEL, type Labels, NET_HELPER_ROLE} from '../engine/labels.js'
import {PACKAGE_ROOT} from '../paths.js'
import {type Progress, silentProgress} from '../util/progress.js'
import {DETECT_SCRIPT, mechanismFromExit, QDISC_HANDLE, recoverScript, type NetMechanism} from './net-rules.js'

/** The helper image: iproute2, iptables and firedrill-delayer (fixtures/net-helper). */
export const NET_HELPER_IMAGE = 'firedrill/net-helper:1'
/** The io.firedrill.role label of helper containers. */
export {NET_HELPER_ROLE} from '../engine/labels.js'

/** Its build context. */
export const NET_HELPER_CONTEXT = path.join(PACKAGE_ROOT, 'fixtures', 'net-helper')

/** Build the helper image when it is missing (or always, with `rebuild`: Docker's cache keeps that quick). Returns its ID. */
export async function ensureNetHelperImage(
  engine: ImageStore,
  opts: {buildArgs?: Record<string, string>; rebuild?: boolean; progress?: Progress} = {},
): Promise<string> {
  const existing = await engine.imageId(NET_HELPER_IMAGE)
  if (existing && !opts.rebuild) return existing
  const progress = opts.progress ?? silentProgress
  return progress.phase(`Build image ${NET_HELPER_IMAGE}`, (update) =>
    engine.buildImage(
      {ref: NET_HELPER_IMAGE, contextDir: NET_HELPER_CONTEXT, dockerfile: 'Dockerfile', args: {...opts.buildArgs}, labels: {[LABEL.role]: NET_HELPER_ROLE}},
      (line) => update(line.slice(0, 120)),
    ),
  )
}

export type NetEngine = Pick<Containers, 'createContainer' | 'startContainer' | 'removeContainer' | 'containerLogs' | 'listContainers'> &
  Pick<ContainerLifecycle, 'stopContainer'> &
  Pick<ImageStore, 'imageId'> &
  ContainerExec

export interface NetTarget {
  id: string
  name: string
  site?: string
  service?: string
}

const EXEC_TIMEOUT_MS = 15_000
const READY_TIMEOUT_MS = 5000

/**
 * Helper containers for network faults. Each shares one target's network namespace
 * (NetworkMode container:<id>) with every capability dropped but NET_ADMIN: never privileged, never
 * the Docker socket. They carry firedrill's labels (project, run, role net-helper, site, service),
 * so `down` finds one a crash left behind.
 */
export class NetHelpers {
  private detected?: Promise<NetMechanism>

  constructor(
    private readonly engine: NetEngine,
    private readonly owner: {project: string; runId: string},
    private readonly image = NET_HELPER_IMAGE,
  ) {}

  /** A short random tag that names one fault's chain and helpers. */
  static newTag(): string {
    return randomBytes(3).toString('hex')
  }

  /** Fail early, with the remedy, when the helper image is missing. */
  async requireImage(): Promise<void> {
    if (await this.engine.imageId(this.image)) return
    throw new EnvironmentError(`the network-fault helper image ${this.image} is not on this machine`, [
      'firedrill build (builds it with the topology images; add --build-arg BASE_IMAGE=... without a registry)',
      'scripts/setup.sh does this too',
    ])
  }

  /** Which mechanism degrade uses on this kernel: tried once, in a helper with a namespace of its own. */
  mechanism(): Promise<NetMechanism> {
    this.detected ??= (async () => {
      const helper = await this.start({kind: 'none'}, `fd-${this.owner.project}-netdetect-${NetHelpers.newTag()}`, {})
      try {
        const r = await helper.sh(DETECT_SCRIPT)
        return mechanismFromExit(r.exitCode, r.stderr)
      } finally {
        await helper.remove()
      }
    })()
    return this.detected
  }

  /**
   * Start a helper in `target`'s network namespace; `command` is its main process (default: idle).
   * `owns` goes on its labels (chain, target, qdisc), so crash recovery knows what to undo where.
   */
  attach(target: NetTarget, tag: string, opts: {command?: string[]; owns?: {chain: string; qdisc: boolean}} = {}): Promise<NetHelper> {
    const labels: Labels = {[LABEL.target]: target.id}
    if (target.site) labels[LABEL.site] = target.site
    if (target.service) labels[LABEL.service] = target.service
    if (opts.owns) labels[LABEL.fault] = opts.owns.chain
    if (opts.owns?.qdisc) labels[LABEL.qdisc] = QDISC_HANDLE
    return this.start({kind: 'container', id: target.id}, `${target.name}-net-${tag}`, labels, opts.command)
  }

  /**
   * Undo network faults a crashed or killed run left behind in this project: every helper not of this
   * run names (by label) the chain and qdisc its fault owned and the container it acted on; those are
   * removed there, then the helpers. Returns what was healed, one line per target.
   */
  async healLeftovers(): Promise<string[]> {
    const left = (await this.engine.listContainers([`${LABEL.project}=${this.owner.project}`, `${LABEL.role}=${NET_HELPER_ROLE}`])).filter(
      (c) => c.labels[LABEL.run] !== this.owner.runId,
    )
    const byTarget = new Map<string, {chains: Set<string>; qdisc: boolean; names: string[]}>()
    for (const c of left) {
      const target = c.labels[LABEL.target]
      if (!target) continue
      const entry = byTarget.get(target) ?? {chains: new Set<string>(), qdisc: false, names: []}
      const chain = c.labels[LABEL.fault]
      if (chain) entry.chains.add(chain)
      entry.qdisc ||= c.labels[LABEL.qdisc] === QDISC_HANDLE
      entry.names.push(c.name)
      byTarget.set(target, entry)
    }
    // Helpers first: a dead target's namespace is gone with it, and a delayer must not hold packets meanwhile.
    await Promise.all(left.map((c) => new NetHelper(this.engine, c.id, c.name, c.state === 'running').remove()))
    const healed: string[] = []
    for (const [target, entry] of byTarget) {
      if (entry.chains.size === 0 && !entry.qdisc) continue
      const what = `${[...entry.chains].join(', ')}${entry.qdisc ? ` and qdisc ${QDISC_HANDLE}` : ''} in container ${target.slice(0, 12)}`
      try {
        const r = await this.runIn({id: target, name: target.slice(0, 12)}, undefined, recoverScript([...entry.chains], entry.qdisc))
        healed.push(r.exitCode === 0 ? `removed ${what}` : `could not remove ${what}: ${(r.stderr || r.stdout).trim()}`)
      } catch (error) {
        // The target is gone (and its namespace with it): nothing left to undo there.
        healed.push(`${what}: target not running (${errorMessage(error).split('\n')[0]})`)
      }
    }
    return healed
  }

  /**
   * Run a script in `target`'s namespace through `helper`; when the helper is gone (it crashed, or
   * was removed), through a fresh one, so a revert still reaches the rules.
   */
  async runIn(target: NetTarget, helper: NetHelper | undefined, text: string): Promise<ExecResult> {
    if (helper) {
      try {
        return await helper.sh(text)
      } catch {
        // gone: fall through to a fresh helper
      }
    }
    const fresh = await this.attach(target, `${NetHelpers.newTag()}x`)
    try {
      return await fresh.sh(text)
    } finally {
      await fresh.remove()
    }
  }

  private async start(ns: {kind: 'none'} | {kind: 'container'; id: string}, name: string, extra: Labels, command?: string[]): Promise<NetHelper> {
    const id = await this.engine.createContainer({
      name,
      hostname: 'net-helper',
      image: this.image,
      command,
      env: {},
      labels: {[LABEL.project]: this.owner.project, [LABEL.run]: this.owner.runId, [LABEL.role]: NET_HELPER_ROLE, ...extra},
      ports: [],
      mounts: [],
      networks: [],
      networkMode: ns.kind === 'none' ? 'none' : {container: ns.id},
      capDrop: ['ALL'],
      capAdd: ['NET_ADMIN'],
      stopTimeoutMs: 2000,
    })
    const helper = new NetHelper(this.engine, id, name, command !== undefined)
    try {
      await this.engine.startContainer(id)
    } catch (error) {
      await helper.remove()
      throw error
    }
    return helper
  }
}

export class NetHelper {
  constructor(
    private readonly engine: NetEngine,
    readonly id: string,
    readonly name: string,
    /** Runs a program of ours (the delayer) that must be stopped gracefully; an idle helper is simply removed. */
    private readonly graceful = false,
  ) {}

  /** Run a script with /bin/sh inside the helper (root; the namespace is the target's). */
  sh(text: string): Promise<ExecResult> {
    return this.engine.exec(this.id, ['sh', '-c', text], {user: 'root', timeoutMs: EXEC_TIMEOUT_MS})
  }

  /** Throw with the script's error output unless it exited 0. */
  async must(what: string, text: string): Promise<string> {
    const r = await this.sh(text)
    if (r.exitCode !== 0) throw new Error(`${what} in ${this.name} failed (exit ${r.exitCode}): ${(r.stderr || r.stdout).trim()}`)
    return r.stdout
  }

  /** Wait until firedrill-delayer has bound its queue (it shows in the namespace's nfnetlink_queue list). */
  async waitQueueBound(queue: number): Promise<void> {
    const deadline = Date.now() + READY_TIMEOUT_MS
    for (;;) {
      const r = await this.sh('cat /proc/net/netfilter/nfnetlink_queue 2>/dev/null || true').catch(() => undefined)
      if (r && r.stdout.split('\n').some((line) => line.trim().split(/\s+/)[0] === String(queue))) return
      if (Date.now() > deadline) {
        const logs = await this.engine.containerLogs(this.id, 10).catch(() => '')
        throw new Error(`firedrill-delayer in ${this.name} did not bind NFQUEUE ${queue} within ${READY_TIMEOUT_MS} ms${logs ? `: ${logs.trim()}` : ''}`)
      }
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  }

  /** Stop (a delayer releases what it holds on SIGTERM) and remove; returns its last output lines. */
  async remove(): Promise<string> {
    let logs = ''
    if (this.graceful) {
      try {
        await this.engine.stopContainer(this.id, 2000)
        logs = await this.engine.containerLogs(this.id, 5)
      } catch {
        // already gone or not started: removal below is what matters
      }
    }
    await this.engine.removeContainer(this.id)
    return logs.trim()
  }
}
