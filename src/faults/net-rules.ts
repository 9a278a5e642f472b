import {cutPairs, type PartitionDirection} from '../model/partition.js'

export {cutPairs, isCut, type PartitionDirection} from '../model/partition.js'
/**
 * Pure: what the network faults (partition, degrade) do inside a target's network namespace, as the
 * commands a helper container runs there. No engine here, so unit tests check every rule.
 *
 * Ownership: each fault owns one iptables chain (FIREDRILL-<tag>, jumped to from INPUT or OUTPUT)
 * and, when it shapes traffic with tc, the root qdisc with handle fd: on one device. Applying refuses
 * a device whose root qdisc is not the default; reverting removes only that chain, that jump and a
 * root qdisc whose handle is fd:, and then checks that none of it is left.
 */

/** How latency and jitter are made: sch_netem where the kernel has it; otherwise NFQUEUE + firedrill-delayer, iptables statistic (loss) and htb (rate). */
export type NetMechanism = 'netem' | 'nfqueue'

export const CHAIN_PREFIX = 'FIREDRILL'
/** The root qdisc handle firedrill owns (major 0xfd). */
export const QDISC_HANDLE = 'fd:'
/** The NFQUEUE queue number firedrill-delayer binds (queues are per network namespace). */
export const DELAY_QUEUE = 0xfd00

/** A fault's chain: FIREDRILL-<tag>; iptables allows 28 characters. */
export function chainName(tag: string): string {
  if (!/^[a-z0-9]{1,12}$/.test(tag)) throw new Error(`a chain tag is 1-12 lower-case letters or digits, not "${tag}"`)
  return `${CHAIN_PREFIX}-${tag}`
}

/** Quote one argument for /bin/sh, only when it needs it. */
export function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_./:%=+@,-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`
}

/** A script that runs each command in turn and stops at the first that fails (sh -e). */
export function script(commands: readonly (readonly string[])[]): string {
  return ['set -e', ...commands.map((c) => c.map(shellQuote).join(' '))].join('\n')
}

// ---------------------------------------------------------------------------------------------- partition


export interface SiteMember {
  site: string
  containerId: string
  containerName: string
  /** The container's address on the WAN network, where sites meet. */
  address: string
}

export interface PartitionRule {
  containerId: string
  containerName: string
  site: string
  /** Sources whose packets this container drops (on INPUT: the receiver drops, as Jepsen does, so a sender sees silence, not an error). */
  dropFrom: {site: string; address: string}[]
}

/** Which container drops whose packets. Containers that drop nothing get no rule (and no helper). */
export function planPartition(groups: readonly (readonly string[])[], direction: PartitionDirection, members: readonly SiteMember[]): PartitionRule[] {
  const pairs = cutPairs(groups, direction)
  return members
    .map((m) => ({
      containerId: m.containerId,
      containerName: m.containerName,
      site: m.site,
      dropFrom: members.filter((s) => pairs.some((p) => p.from === s.site && p.to === m.site)).map((s) => ({site: s.site, address: s.address})),
    }))
    .filter((r) => r.dropFrom.length > 0)
}

export function partitionApply(chain: string, rule: PartitionRule): string {
  return script([
    ['iptables', '-w', '-N', chain],
    ...rule.dropFrom.map((s) => ['iptables', '-w', '-A', chain, '-s', `${s.address}/32`, '-j', 'DROP']),
    ['iptables', '-w', '-I', 'INPUT', '1', '-j', chain],
  ])
}

// ---------------------------------------------------------------------------------------------- degrade

export interface DegradeSpec {
  latencyMs?: number
  jitterMs?: number
  /** Percent, 0 < loss <= 100. */
  lossPercent?: number
  /** tc rate, e.g. 10mbit. */
  rate?: string
}

/** Where the degraded traffic leaves the target: a device, and either every packet on it or only those to these addresses. */
export interface DegradeScope {
  dev: string
  peers: 'all' | string[]
}

export interface DegradePlan {
  mechanism: NetMechanism
  /** Whether the plan puts a root qdisc fd: on the device (netem, or a rate): only then does its revert remove one. */
  ownsQdisc: boolean
  /** Run before applying; fails when the device already has a root qdisc that is not the default (someone else's, or an earlier fault's). */
  check: string
  /** The helper's own command: firedrill-delayer when latency comes from NFQUEUE, else nothing (it idles). */
  delayer?: string[]
  apply: string
  /** A one-line account of what does what, for the timeline and results. */
  summary: string
}

export function describeDegrade(spec: DegradeSpec): string {
  const parts: string[] = []
  if (spec.latencyMs !== undefined) parts.push(`latency ${spec.latencyMs} ms${spec.jitterMs ? ` ± ${spec.jitterMs} ms` : ''}`)
  if (spec.lossPercent !== undefined) parts.push(`loss ${spec.lossPercent} %`)
  if (spec.rate !== undefined) parts.push(`rate ${spec.rate}`)
  return parts.join(', ')
}

function matchPeer(scope: DegradeScope): string[][] {
  return scope.peers === 'all' ? [['-o', scope.dev]] : scope.peers.map((a) => ['-d', `${a}/32`])
}

/** A device whose root qdisc is one of the kernel's defaults is free to take ours. */
export function qdiscCheck(dev: string): string {
  return [
    `root="$(tc qdisc show dev ${shellQuote(dev)} root)"`,
    `case "$root" in`,
    `  "qdisc noqueue "*|"qdisc pfifo_fast "*|"qdisc mq "*|"qdisc fq_codel 0: "*|"qdisc pfifo 0: "*|"") ;;`,
    `  *) echo "${dev} already has a root qdisc firedrill will not replace: $root" >&2; exit 3 ;;`,
    `esac`,
  ].join('\n')
}

export function planDegrade(mechanism: NetMechanism, spec: DegradeSpec, scope: DegradeScope, chain: string): DegradePlan {
  const {dev} = scope
  const where = scope.peers === 'all' ? `everything leaving ${dev}` : `packets to ${scope.peers.join(', ')} on ${dev}`
  if (mechanism === 'netem') {
    const netem = ['netem']
    if (spec.latencyMs !== undefined) netem.push('delay', `${spec.latencyMs}ms`, ...(spec.jitterMs ? [`${spec.jitterMs}ms`] : []))
    if (spec.lossPercent !== undefined) netem.push('loss', `${spec.lossPercent}%`)
    if (spec.rate !== undefined) netem.push('rate', spec.rate)
    const commands =
      scope.peers === 'all'
        ? [['tc', 'qdisc', 'add', 'dev', dev, 'root', 'handle', QDISC_HANDLE, ...netem]]
        : [
            // Bands 1-3 keep the default priomap; band 4 gets netem and only what the filters send there.
            ['tc', 'qdisc', 'add', 'dev', dev, 'root', 'handle', QDISC_HANDLE, 'prio', 'bands', '4', 'priomap', ...'1 2 2 2 1 2 0 0 1 1 1 1 1 1 1 1'.split(' ')],
            ['tc', 'qdisc', 'add', 'dev', dev, 'parent', 'fd:4', 'handle', 'fe:', ...netem],
            ...scope.peers.map((a) => ['tc', 'filter', 'add', 'dev', dev, 'parent', QDISC_HANDLE, 'protocol', 'ip', 'prio', '1', 'u32', 'match', 'ip', 'dst', `${a}/32`, 'flowid', 'fd:4']),
          ]
    return {mechanism, ownsQdisc: true, check: qdiscCheck(dev), apply: script(commands), summary: `${describeDegrade(spec)} on ${where} via tc netem (qdisc ${QDISC_HANDLE})`}
  }

  const commands: string[][] = []
  const how: string[] = []
  const needsChain = spec.lossPercent !== undefined || spec.latencyMs !== undefined
  if (needsChain) commands.push(['iptables', '-w', '-N', chain])
  if (spec.lossPercent !== undefined) {
    const p = (spec.lossPercent / 100).toFixed(6)
    for (const m of matchPeer(scope)) commands.push(['iptables', '-w', '-A', chain, ...m, '-m', 'statistic', '--mode', 'random', '--probability', p, '-j', 'DROP'])
    how.push(`loss by iptables statistic in ${chain}`)
  }
  let delayer: string[] | undefined
  if (spec.latencyMs !== undefined) {
    for (const m of matchPeer(scope)) commands.push(['iptables', '-w', '-A', chain, ...m, '-j', 'NFQUEUE', '--queue-num', String(DELAY_QUEUE), '--queue-bypass'])
    delayer = ['firedrill-delayer', '--queue', String(DELAY_QUEUE), '--delay', String(spec.latencyMs), '--jitter', String(spec.jitterMs ?? 0)]
    how.push(`latency by firedrill-delayer on NFQUEUE ${DELAY_QUEUE}`)
  }
  if (needsChain) commands.push(['iptables', '-w', '-I', 'OUTPUT', '1', '-j', chain])
  if (spec.rate !== undefined) {
    if (scope.peers === 'all') {
      commands.push(['tc', 'qdisc', 'add', 'dev', dev, 'root', 'handle', QDISC_HANDLE, 'htb', 'default', '1'])
      commands.push(['tc', 'class', 'add', 'dev', dev, 'parent', QDISC_HANDLE, 'classid', 'fd:1', 'htb', 'rate', spec.rate, 'ceil', spec.rate])
    } else {
      // Class 2 (the default) passes everything else unshaped; filters send the peers to class 1.
      commands.push(['tc', 'qdisc', 'add', 'dev', dev, 'root', 'handle', QDISC_HANDLE, 'htb', 'default', '2'])
      commands.push(['tc', 'class', 'add', 'dev', dev, 'parent', QDISC_HANDLE, 'classid', 'fd:1', 'htb', 'rate', spec.rate, 'ceil', spec.rate])
      commands.push(['tc', 'class', 'add', 'dev', dev, 'parent', QDISC_HANDLE, 'classid', 'fd:2', 'htb', 'rate', '10gbit'])
      for (const a of scope.peers) commands.push(['tc', 'filter', 'add', 'dev', dev, 'parent', QDISC_HANDLE, 'protocol', 'ip', 'prio', '1', 'u32', 'match', 'ip', 'dst', `${a}/32`, 'flowid', 'fd:1'])
    }
    how.push(`rate by htb (qdisc ${QDISC_HANDLE})`)
  }
  return {
    mechanism,
    ownsQdisc: spec.rate !== undefined,
    check: spec.rate !== undefined ? qdiscCheck(dev) : 'true',
    delayer,
    apply: script(commands),
    summary: `${describeDegrade(spec)} on ${where} via NFQUEUE fallback (no netem): ${how.join('; ')}`,
  }
}

// ---------------------------------------------------------------------------------------------- revert

/**
 * Undo a fault in one namespace: every jump to its chain, the chain, and on each device a root qdisc
 * with firedrill's handle. Safe to run twice; exits non-zero if anything of the fault is still there.
 */
export function revertScript(chain: string, devs: readonly string[]): string {
  const lines = [
    `for hook in INPUT OUTPUT; do while iptables -w -D "$hook" -j ${chain} 2>/dev/null; do :; done; done`,
    `if iptables -w -S ${chain} >/dev/null 2>&1; then iptables -w -F ${chain}; iptables -w -X ${chain}; fi`,
  ]
  for (const dev of devs) {
    const d = shellQuote(dev)
    lines.push(`if tc qdisc show dev ${d} root | grep -q '^qdisc [a-z_]* ${QDISC_HANDLE} '; then tc qdisc del dev ${d} root handle ${QDISC_HANDLE}; fi`)
  }
  lines.push(`if iptables -w -S | grep -q -- '${chain}'; then echo "iptables still holds ${chain}" >&2; exit 4; fi`)
  for (const dev of devs) {
    lines.push(`if tc qdisc show dev ${shellQuote(dev)} | grep -q ' ${QDISC_HANDLE} '; then echo "a qdisc ${QDISC_HANDLE} is still on ${dev}" >&2; exit 4; fi`)
  }
  return lines.join('\n')
}

/**
 * Crash recovery in one namespace, from what leftover helpers' labels say their faults owned: these
 * chains, and (when `qdisc`) a root qdisc with handle fd: on whichever device has one.
 */
export function recoverScript(chains: readonly string[], qdisc: boolean): string {
  const lines = chains.flatMap((chain) => revertScript(chain, []).split('\n'))
  if (qdisc) {
    lines.push(
      `for dev in $(ls /sys/class/net); do if tc qdisc show dev "$dev" root | grep -q '^qdisc [a-z_]* ${QDISC_HANDLE} '; then tc qdisc del dev "$dev" root handle ${QDISC_HANDLE}; fi; done`,
    )
  }
  return lines.join('\n')
}

// ---------------------------------------------------------------------------------------------- mechanism

/**
 * Run in a throwaway helper with a network namespace of its own (only loopback), so detection touches
 * nothing of the topology. Exit 0: netem works. Exit 10: no netem, but NFQUEUE, statistic and htb do.
 */
export const DETECT_SCRIPT = [
  'if tc qdisc add dev lo root handle fd: netem delay 1ms 2>/dev/null; then tc qdisc del dev lo root handle fd:; exit 0; fi',
  'set -e',
  `iptables -w -A OUTPUT -o lo -m statistic --mode random --probability 0.5 -j NFQUEUE --queue-num ${DELAY_QUEUE} --queue-bypass`,
  `iptables -w -D OUTPUT -o lo -m statistic --mode random --probability 0.5 -j NFQUEUE --queue-num ${DELAY_QUEUE} --queue-bypass`,
  'tc qdisc add dev lo root handle fd: htb default 1',
  'tc class add dev lo parent fd: classid fd:1 htb rate 1mbit',
  'tc qdisc del dev lo root handle fd:',
  'exit 10',
].join('\n')

export function mechanismFromExit(exitCode: number, stderr: string): NetMechanism {
  if (exitCode === 0) return 'netem'
  if (exitCode === 10) return 'nfqueue'
  throw new Error(`this kernel supports neither tc netem nor the NFQUEUE fallback (iptables statistic + NFQUEUE, htb): ${stderr.trim() || `exit ${exitCode}`}`)
}

/** The device that holds `address`, from `ip -o -4 addr show`. */
export function deviceOf(ipAddrOutput: string, address: string): string | undefined {
  for (const line of ipAddrOutput.split('\n')) {
    const m = /^\d+:\s+([^\s@:]+)(?:@\S+)?\s+inet\s+([\d.]+)\//.exec(line)
    if (m && m[2] === address) return m[1]
  }
  return undefined
}
