import {z} from 'zod'
import type {ClusterSpec as ModelCluster, HealthSpec as ModelHealth, PortSpec as ModelPort} from '../model/topology.js'

import {isIP} from 'node:net'

import {argv, containerPath, containerUser, duration, envName, imageReference, name, noNul, size, subnet} from './common.js'
import {probeSchema} from './probe-kinds.js'

export const SITE_ROLES = ['primary', 'standby', 'replica', 'witness'] as const

const site = z.strictObject({
  role: z.enum(SITE_ROLES, {error: `site role must be one of: ${SITE_ROLES.join(', ')}`}),
  description: z.string().optional(),
  /** The subnet of the site's network (CIDR); without it the engine picks one from its default address pools. */
  subnet: subnet().optional(),
  /** The engine (a key of `engines:`) the site's containers run on; without it, the local engine (DOCKER_HOST or the socket). */
  engine: name('engine name').optional(),
})

const wan = z.strictObject({
  /** The subnet of the WAN network joining the sites (CIDR); without it the engine picks one. */
  subnet: subnet().optional(),
  /** With sites on several engines: the overlay networks encrypt traffic between hosts (IPsec). */
  encrypted: z.boolean().default(false),
})

/**
 * One Docker engine sites run on. Secrets stay out of the topology: TLS client material by file path
 * (relative to the topology file) or a directory named by an environment variable (ca.pem, cert.pem,
 * key.pem, as DOCKER_CERT_PATH); SSH keys from the SSH agent, or a private key file by path (or named by an
 * environment variable), with the host's key checked against a known_hosts file.
 */
const engine = z.strictObject({
  /** tcp://HOST:PORT (with tls), ssh://USER@HOST[:PORT], unix:///PATH, or local (DOCKER_HOST or the default socket). */
  host: z.string().refine((h) => h === 'local' || /^(tcp|ssh|unix):\/\/\S+$/.test(h), {
    error: (issue) => `engine host "${String(issue.input)}" must be tcp://HOST:PORT, ssh://USER@HOST, unix:///PATH or local`,
  }),
  tls: z
    .strictObject({
      ca: noNul('tls.ca').optional(),
      cert: noNul('tls.cert').optional(),
      key: noNul('tls.key').optional(),
      /** An environment variable naming a directory with ca.pem, cert.pem and key.pem. */
      dir_env: envName().optional(),
    })
    .refine((t) => (t.dir_env !== undefined) !== (t.ca !== undefined || t.cert !== undefined || t.key !== undefined), {error: 'tls needs either dir_env or all of ca, cert and key'})
    .refine((t) => t.dir_env !== undefined || (t.ca !== undefined && t.cert !== undefined && t.key !== undefined), {error: 'tls needs ca, cert and key together'})
    .optional(),
  /** ssh:// only: which key logs in, and which host keys are trusted (never a key itself, only paths). */
  ssh: z
    .strictObject({
      /** A private key file (OpenSSH or PEM, without a passphrase), relative to the topology file. */
      private_key: noNul('ssh.private_key').optional(),
      /** An environment variable naming the private key file, for a path that differs between machines. */
      private_key_env: envName().optional(),
      /** The known_hosts file the engine's host key must be in (default ~/.ssh/known_hosts), relative to the topology file. */
      known_hosts: noNul('ssh.known_hosts').optional(),
    })
    .refine((s) => s.private_key === undefined || s.private_key_env === undefined, {error: 'give ssh.private_key or ssh.private_key_env, not both'})
    .optional(),
  /** Plain tcp:// without TLS: anyone who reaches the port owns the host. Only for a lab; must be said. */
  insecure: z.boolean().default(false),
})

const health = z.strictObject({
  /** argv run inside the container by Docker's health check (and by firedrill itself while it waits for health). */
  test: argv('health.test'),
  /**
   * How often the engine runs the test. Each run is an exec in the container (a runc exec: about a tenth
   * of a core per container at 1 s), so idle topologies check rarely; firedrill runs the test itself while
   * it waits for health, so this does not slow `up` or a `wait: healthy` step.
   */
  interval: duration({positive: true}).default(30_000),
  timeout: duration({positive: true}).default(2000),
  /** Consecutive failures before the engine says unhealthy (at the default interval: 90 s). */
  retries: z.int().min(1).default(3),
  start_period: duration().default(0),
})

const port = z.strictObject({
  container: z.int().min(1).max(65_535),
  host: z.int().min(1).max(65_535),
  /** Published on loopback unless said otherwise. */
  host_ip: z.string().refine((ip) => isIP(ip) !== 0, {error: (issue) => `host_ip "${String(issue.input)}" is not an IP address (such as 127.0.0.1 or ::1)`}).default('127.0.0.1'),
  protocol: z.enum(['tcp', 'udp']).default('tcp'),
})

const volume = z.strictObject({
  /** Volume name within the service; firedrill creates and labels one volume per instance. */
  name: name('volume name'),
  target: containerPath('volume target'),
  /**
   * A size limit: the volume is a tmpfs of this size (in memory, emptied whenever its container
   * stops). Only size-limited volumes can be filled by a disk-full fault.
   */
  size: size().optional(),
})

const build = z.strictObject({
  /** Directory holding the Dockerfile, relative to the topology file. */
  context: noNul('build.context').pipe(z.string().min(1)),
  dockerfile: noNul('build.dockerfile').default('Dockerfile'),
  args: z.record(envName(), noNul('a build argument')).default({}),
})

/** Roles that must be present, with how many of each, before the topology counts as healthy. */
const readyWhen = z
  .strictObject({
    leader: z.int().min(0).default(1),
    sync_standby: z.int().min(0).default(0),
    replica: z.int().min(0).default(0),
  })
  .default({leader: 1, sync_standby: 0, replica: 0})

const MANAGERS = ['patroni', 'command', 'http'] as const
const CLUSTER_ROLES = ['leader', 'sync_standby', 'replica'] as const
const managerError = {error: `cluster.manager must be one of: ${MANAGERS.join(', ')}`}

/** Patroni: roles from its REST API (GET /cluster, and /patroni on the leader). */
const patroniCluster = z.strictObject({
  manager: z.literal('patroni', managerError),
  /** Patroni REST API port inside the container. */
  api_port: z.int().min(1).max(65_535).default(8008),
  ready_when: readyWhen,
})

/** An argv run in each running member (never a shell): the first line it prints names the member's role. */
const commandCluster = z.strictObject({
  manager: z.literal('command', managerError),
  command: argv('cluster.command'),
  /** Words the command prints mapped to roles, beyond the usual ones (`{'0': leader, '1': replica}` for `select @@read_only`). */
  outputs: z.record(z.string().min(1), z.enum(CLUSTER_ROLES, {error: `a role must be one of: ${CLUSTER_ROLES.join(', ')}`})).default({}),
  timeout: duration({positive: true}).default(2000),
  ready_when: readyWhen,
})

/** A path per role answering 2xx on the member that holds that role (as Patroni's /primary and /replica). */
const httpCluster = z.strictObject({
  manager: z.literal('http', managerError),
  port: z.int().min(1).max(65_535),
  paths: z
    .strictObject({
      leader: z.string().startsWith('/', {error: 'a role path must start with /'}),
      sync_standby: z.string().startsWith('/', {error: 'a role path must start with /'}).optional(),
      replica: z.string().startsWith('/', {error: 'a role path must start with /'}).optional(),
    }),
  timeout: duration({positive: true}).default(1500),
  ready_when: readyWhen,
})

const cluster = z.discriminatedUnion('manager', [patroniCluster, commandCluster, httpCluster], managerError)

/** Per-site adjustments of a service placed on several sites. */
const siteOverride = z.strictObject({
  env: z.record(envName(), noNul('an environment value')).default({}),
  command: argv('command').optional(),
  ports: z.array(port).optional(),
})

const service = z
  .strictObject({
    description: z.string().optional(),
    /** The sites this service runs on: one container per site. */
    sites: z.array(name('site name')).min(1, {error: 'a service must run on at least one site'}),
    image: imageReference().optional(),
    build: build.optional(),
    command: argv('command').optional(),
    user: containerUser().optional(),
    /** `${site}`, `${service}`, `${project}` and `${hostname}` are replaced in env values, command and hostname. */
    env: z.record(envName(), noNul('an environment value')).default({}),
    hostname: z.string().default('${service}-${site}'),
    health: health.optional(),
    ports: z.array(port).default([]),
    volumes: z
      .array(volume)
      .superRefine((vols, ctx) => {
        // The engine refuses a container with two mounts at one target ("Duplicate mount point"); two
        // volumes of one name would be one volume mounted twice.
        for (const field of ['name', 'target'] as const) {
          const seen = new Map<string, number>()
          vols.forEach((v, i) => {
            const first = seen.get(v[field])
            if (first !== undefined) ctx.addIssue({code: 'custom', path: [i, field], message: `volume ${field} "${v[field]}" is already used by volumes[${first}]`})
            else seen.set(v[field], i)
          })
        }
      })
      .default([]),
    cluster: cluster.optional(),
    /**
     * The services this one needs to serve (the API needs auth and redis): a sweep names a service that
     * runs on one site only, and that others depend on, as the reason a fault there stops them.
     */
    depends_on: z.array(name('service name')).default([]),
    per_site: z.record(z.string(), siteOverride).default({}),
    stop_timeout: duration().default(10_000),
  })
  .refine((s) => s.image !== undefined || s.build !== undefined, {error: 'a service needs an image, a build, or both'})

export const topologySchema = z.strictObject({
  /** The project name: every Docker resource of this topology carries it as the io.firedrill.project label. */
  name: name('topology name'),
  description: z.string().optional(),
  sites: z.record(name('site name'), site).refine((s) => Object.keys(s).length > 0, {error: 'declare at least one site'}),
  services: z.record(name('service name'), service).refine((s) => Object.keys(s).length > 0, {error: 'declare at least one service'}),
  wan: wan.optional(),
  /** The Docker engines sites run on (sites.<site>.engine names one); absent: every site on the local engine. */
  engines: z.record(name('engine name'), engine).optional(),
  /** How long `up` waits for the topology to become healthy. */
  up_timeout: duration({positive: true}).default(180_000),
  /**
   * The topology's probe set: named probes (the schema of a drill's `probes:`) that `firedrill sweep` runs
   * in every cell, and that a drill takes with `probes: topology`. Validated against the probe kinds
   * registered when the file is read.
   */
  probes: z.lazy(() => topologyProbesSchema()).optional(),
})

/** A probe set: a mapping of names to probes, as a drill's `probes:` (the kinds registered now). */
export const topologyProbesSchema = () =>
  z
    .record(name('probe name'), probeSchema(), {error: 'probes must be a mapping of names to probes, e.g. {api: {kind: http, service: gateway, path: /health}}'})
    .refine((p) => Object.keys(p).length > 0, {error: 'name at least one probe'})

export type TopologyFile = z.output<typeof topologySchema>
export type ServiceSpec = z.output<typeof service>
export type HealthSpec = z.output<typeof health>
export type PortSpec = z.output<typeof port>
export type ClusterSpec = z.output<typeof cluster>
export type EngineSpec = z.output<typeof engine>

// What validation yields is what the model (src/model/topology.ts) describes: checked at compile time.
type Assignable<T extends U, U> = T
export type _ModelMatches = [Assignable<HealthSpec, ModelHealth>, Assignable<PortSpec, ModelPort>, Assignable<ClusterSpec, ModelCluster>]
