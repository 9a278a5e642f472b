import {readFileSync} from 'node:fs'

import type {LoadedDrill} from '../config/load-drill.js'
import type {Containers, Inspector, Networks} from '../engine/engine.js'
import {projectFilter} from '../engine/labels.js'
import {errorMessage} from '../errors.js'
import {chainEvents} from './chain.js'
import {samplesCsv} from './csv.js'
import {firedrillVersion, gitCommitOf, hostInfo, operatorOf} from './environment.js'
import {Redactor, SECRET_NAME} from './redact.js'
import type {Environment} from '../model/evidence.js'
import type {DrillResult} from '../model/result.js'

/** What evidence asks of the engine: read-only, and only about the drill's own project. */
export type EvidenceEngine = Inspector & Pick<Containers, 'listContainers'> & Pick<Networks, 'listNetworks'>

export interface Collected {
  /** Bundle path → bytes, every one redacted. */
  files: Map<string, Buffer>
  /** The result as written to result.json (redacted), with its samples. */
  result: DrillResult
  environment: Environment
}

const MAX_PARALLEL = 4

/**
 * Gather a drill's evidence while its topology is still up: logs and inspect output of every container
 * and network of the project, the inputs as run, the environment; and redact every secret from all of it.
 * What the engine cannot give (it is gone, say) is left out and named in environment.json's
 * `not_collected`; the rest is kept.
 */
export async function collectEvidence(
  loaded: LoadedDrill,
  result: DrillResult,
  engine: EvidenceEngine,
  opts: {operator?: string; now?: () => number; wall?: () => string; redactor?: Redactor} = {},
): Promise<Collected> {
  const now = opts.now ?? (() => performance.now())
  const started = now()
  const startedWall = opts.wall?.() ?? new Date().toISOString()
  const {drill, topology} = loaded
  const filter = projectFilter(topology.project)
  const notCollected: string[] = []
  const missing = <T>(what: string, fallback: (message: string) => T) => (error: unknown) => {
    notCollected.push(`${what}: ${errorMessage(error)}`)
    return fallback(errorMessage(error))
  }
  const [containers, networks] = await Promise.all([
    engine.listContainers(filter).catch(missing('the list of containers (so no logs and no container inspect)', () => [])),
    engine.listNetworks(filter).catch(missing('the list of networks (so no network inspect)', () => [])),
  ])
  const containerDocs = await mapLimit(containers, MAX_PARALLEL, async (c) => ({
    name: c.name,
    inspect: await engine.inspectContainer(c.id).catch(missing(`inspect of ${c.name}`, (m): unknown => ({error: `inspect failed: ${m}`}))),
    logs: await engine.fullLogs(c.id).catch(missing(`logs of ${c.name}`, (m) => `(logs could not be read: ${m})\n`)),
  }))
  const networkDocs = await mapLimit(networks, MAX_PARALLEL, async (n) => ({
    name: n.name,
    inspect: await engine.inspectNetwork(n.id).catch(missing(`inspect of network ${n.name}`, (m): unknown => ({error: `inspect failed: ${m}`}))),
  }))
  const images = await mapLimit(topology.images, MAX_PARALLEL, async (i) => {
    const info = await engine.inspectImage(i.ref).catch(missing(`inspect of image ${i.ref}`, () => undefined))
    return {ref: i.ref, id: info?.id ?? null, repo_digests: info?.repoDigests ?? []}
  })

  // The secrets of the inputs, and the values of secret-named variables of every container.
  const redactor = opts.redactor ?? new Redactor()
  learnInputs(redactor, loaded)
  for (const d of containerDocs) redactor.learnEnv(((d.inspect as {Config?: {Env?: string[]}}).Config?.Env ?? []) as string[])
  const drillText = readFileSync(drill.file, 'utf8')
  const topologyText = readFileSync(topology.file, 'utf8')

  const files = new Map<string, Buffer>()
  const put = (name: string, text: string) => files.set(name, Buffer.from(text, 'utf8'))
  const json = (v: unknown) => `${JSON.stringify(v, null, 2)}\n`

  const clean = redactor.json(result)
  const {samples = [], probes, ...withoutSamples} = clean
  // The first probe's samples in samples.csv, as for a one-probe drill; with several probes, each one's in samples/NAME.csv too.
  put('result.json', json(probes ? {...withoutSamples, probes: probes.map(({samples: _s, ...p}) => p)} : withoutSamples))
  put('samples.csv', samplesCsv(samples))
  if (probes && probes.length > 1) for (const p of probes) put(`samples/${p.name}.csv`, samplesCsv(p.samples ?? []))
  put('events.jsonl', chainEvents(clean.timeline))
  for (const d of containerDocs) {
    put(`logs/${d.name}.log`, redactor.text(d.logs))
    put(`inspect/containers/${d.name}.json`, json(redactor.json(d.inspect)))
  }
  for (const n of networkDocs) put(`inspect/networks/${n.name}.json`, json(redactor.json(n.inspect)))
  const inputs: Environment['inputs'] = []
  for (const [role, file, text, sha] of [
    ['drill', drill.file, drillText, drill.sha256],
    ['topology', topology.file, topologyText, topology.sha256],
  ] as const) {
    const redacted = redactor.text(text)
    const bundlePath = `inputs/${role}.yaml`
    put(bundlePath, redacted)
    inputs.push({role, path: file, sha256: sha, bundle_path: bundlePath, redacted: redacted !== text})
  }

  const environment: Environment = {
    run_id: result.run_id,
    drill: result.drill,
    topology: result.topology,
    firedrill: {version: firedrillVersion(), node: process.version},
    engine: result.engine,
    images,
    inputs,
    git: gitCommitOf(drill.file),
    operator: operatorOf(opts.operator),
    host: hostInfo(),
    time: {
      started_at: result.started_at,
      finished_at: result.finished_at,
      duration_ms: result.duration_ms,
      evidence_started_at: startedWall,
      evidence_collect_ms: Math.round(now() - started),
    },
    secrets_redacted: redactor.size,
    not_collected: notCollected.map((n) => redactor.text(n)),
  }
  put('environment.json', json(environment))
  return {files, result: {...clean, samples}, environment}
}

/**
 * Teach `redactor` the secrets a drill and its topology carry, known before anything runs: the probe's
 * password, secret-named variables of the topology, `key: value` lines of either file whose key names a
 * secret, and `NAME=value` arguments of the drill's commands whose name does.
 */
export function learnInputs(redactor: Redactor, loaded: LoadedDrill): Redactor {
  const {drill, topology} = loaded
  redactor.allowPublic([
    'firedrill',
    drill.name,
    topology.project,
    ...topology.sites.map((s) => s.name),
    ...topology.instances.flatMap((i) => [i.service, i.containerName, i.hostname]),
  ])
  // Every probe's secret-named fields (postgres-write's password), whatever its kind.
  for (const p of drill.probes ?? [{spec: drill.probe}]) for (const [k, v] of Object.entries(p.spec)) if (SECRET_NAME.test(k) && typeof v === 'string') redactor.add(v)
  for (const inst of topology.instances) for (const [k, v] of Object.entries(inst.env)) if (SECRET_NAME.test(k)) redactor.add(v)
  // Where an engine's private key lies (a TLS client key, an SSH key) is not for evidence either; the key itself is never read into it.
  for (const e of topology.engines ?? []) {
    if (e.endpoint.kind === 'tcp' && e.endpoint.tls) redactor.add(e.endpoint.tls.key)
    if (e.endpoint.kind === 'ssh' && e.endpoint.privateKey) redactor.add(e.endpoint.privateKey)
  }
  for (const step of drill.steps) {
    if (step.kind === 'runbook' || step.kind === 'assert') redactor.learnEnv(step.argv)
    if (step.kind === 'wait' && step.argv) redactor.learnEnv(step.argv)
    if (step.kind === 'manual' && step.ci) redactor.learnEnv(step.ci.argv)
  }
  learnYaml(redactor, readFileSync(drill.file, 'utf8'))
  learnYaml(redactor, readFileSync(topology.file, 'utf8'))
  return redactor
}

/** `key: value` lines of YAML whose key names a secret. */
function learnYaml(redactor: Redactor, text: string): void {
  for (const m of text.matchAll(/^\s*-?\s*([A-Za-z0-9_]+)\s*:\s*(["']?)([^"'#\n]+?)\2\s*(?:#.*)?$/gm)) {
    if (SECRET_NAME.test(m[1]!)) redactor.add(m[3]!.trim())
  }
}

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length)
  let next = 0
  await Promise.all(
    Array.from({length: Math.min(limit, items.length)}, async () => {
      while (next < items.length) {
        const i = next++
        out[i] = await fn(items[i]!)
      }
    }),
  )
  return out
}
