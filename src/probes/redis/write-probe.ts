import {ClientClosedError, ClientOfflineError, createClient, ErrorReply} from 'redis'

import {errorMessage} from '../../errors.js'
import {endpointOf} from '../../model/reach.js'
import type {Sample} from '../../model/sample.js'
import {systemClock, type Clock} from '../../util/time.js'
import type {ProbeNode} from '../probe.js'
import {WriteFollower, type WriteDriver} from '../write-follower.js'
import type {RedisWriteSpec} from './schema.js'

/** A client as createClient makes it with our options (the default modules, RESP 3). */
function newRedisClient(options: Parameters<typeof createClient>[0]) {
  return createClient(options)
}
type RedisClient = ReturnType<typeof newRedisClient>

/** The probe's keys: `firedrill:probe:<run id>:<seq>`, one per acknowledged write, kept a day. */
export const REDIS_KEY_PREFIX = 'firedrill:probe:'
const KEY_TTL_S = 86_400

/** The master wrote it, but fewer replicas than `wait.replicas` confirmed in time: not acknowledged, and it may be kept. */
export class NotReplicated extends Error {}

/**
 * What an error on a write says about it. An error reply from the server (READONLY from a replica,
 * NOREPLICAS, OOM, MISCONF) came before anything was applied: failed, as is a command the client never
 * sent (its connection already closed). A timeout, a connection lost after sending, or a WAIT that did
 * not gather its replicas leaves the write unknown: indeterminate.
 */
export function classifyRedisError(error: unknown): 'failed' | 'indeterminate' {
  if (error instanceof NotReplicated) return 'indeterminate'
  if (error instanceof ErrorReply || error instanceof ClientOfflineError || error instanceof ClientClosedError) return 'failed'
  return 'indeterminate'
}

/** What `ROLE` answers first: master, slave, sentinel. */
async function roleOf(client: RedisClient): Promise<string> {
  const reply = (await client.sendCommand(['ROLE'])) as unknown[]
  return String(reply[0])
}

/**
 * Redis for the write follower: the node whose `ROLE` is master is writable (with `sentinels`, only
 * when the Sentinels also name its address as the master, as a Sentinel client would follow them);
 * one `SET key seq EX` per sample, then `WAIT replicas timeout` when asked.
 */
export function redisDriver(spec: RedisWriteSpec, sentinelNodes?: () => Promise<ProbeNode[]>): WriteDriver<RedisClient> {
  const open = async (node: ProbeNode, port: number, connectTimeoutMs: number, onLost: (error: Error) => void): Promise<RedisClient> => {
    const at = await endpointOf(node, port)
    const client = newRedisClient({
      socket: {host: at.host, port: at.port, connectTimeout: connectTimeoutMs, reconnectStrategy: false},
      ...(spec.user === undefined ? {} : {username: spec.user}),
      ...(spec.password === undefined ? {} : {password: spec.password}),
      database: spec.db,
      // A command on a closed connection fails at once (never sent), rather than waiting for a reconnect.
      disableOfflineQueue: true,
    })
    client.on('error', onLost)
    return client
  }
  const key = (runId: string, seq: number) => `${REDIS_KEY_PREFIX}${runId}:${seq}`

  /** The master's address as the first Sentinel that answers names it. */
  async function sentinelMaster(): Promise<string> {
    const s = spec.sentinels!
    const tried: string[] = []
    for (const node of await sentinelNodes!()) {
      const client = await open(node, s.port, spec.timeout, () => {})
      try {
        await client.connect()
        const reply = (await client.sendCommand(['SENTINEL', 'get-master-addr-by-name', s.master])) as string[] | null
        if (reply?.[0]) return reply[0]
        tried.push(`${node.name}: no master named ${s.master}`)
      } catch (error) {
        tried.push(`${node.name}: ${errorMessage(error)}`)
      } finally {
        client.destroy()
      }
    }
    throw new Error(`no Sentinel of ${s.service} named a master (${tried.join(', ') || 'none running'})`)
  }

  const nodeOf = new WeakMap<RedisClient, ProbeNode>()
  return {
    async client(node, opts) {
      const client = await open(node, spec.port, opts.connectTimeoutMs, opts.onLost)
      nodeOf.set(client, node)
      return client
    },
    connect: async (client) => {
      await client.connect()
    },
    destroy: async (client) => {
      client.destroy()
    },
    async writable(client) {
      const role = await roleOf(client)
      if (role !== 'master') return {writable: false, why: `ROLE says ${role}`}
      if (!spec.sentinels) return {writable: true}
      const master = await sentinelMaster().catch((error: unknown) => errorMessage(error))
      const own = nodeOf.get(client)?.address
      return master === own ? {writable: true} : {writable: false, why: `ROLE says master, but the Sentinels name ${master}`}
    },
    async prepare() {},
    async write(client, runId, seq) {
      await client.set(key(runId, seq), String(seq), {expiration: {type: 'EX', value: KEY_TTL_S}})
      if (spec.wait) {
        const confirmed = Number(await client.sendCommand(['WAIT', String(spec.wait.replicas), String(spec.wait.timeout)]))
        if (confirmed < spec.wait.replicas) throw new NotReplicated(`WAIT: ${confirmed} of ${spec.wait.replicas} replicas confirmed within ${spec.wait.timeout} ms`)
      }
    },
    classify: classifyRedisError,
    async readBack(client, runId) {
      const prefix = `${REDIS_KEY_PREFIX}${runId}:`
      const seqs = new Set<number>()
      let cursor = '0'
      do {
        const [next, keys] = (await client.sendCommand(['SCAN', cursor, 'MATCH', `${prefix}*`, 'COUNT', '1000'])) as [string, string[]]
        for (const k of keys) seqs.add(Number(k.slice(prefix.length)))
        cursor = next
      } while (cursor !== '0')
      return seqs
    },
  }
}

/** One sequence-numbered key per interval to the master, following a Sentinel failover (WriteFollower). */
export class RedisWriteProbe extends WriteFollower<RedisClient> {
  constructor(
    spec: RedisWriteSpec,
    runId: string,
    resolveNodes: () => Promise<ProbeNode[]>,
    sentinelNodes: (() => Promise<ProbeNode[]>) | undefined,
    clock: Clock = systemClock,
    onSample: (sample: Sample) => void = () => {},
  ) {
    super(redisDriver(spec, sentinelNodes), spec, runId, resolveNodes, clock, onSample)
  }
}
