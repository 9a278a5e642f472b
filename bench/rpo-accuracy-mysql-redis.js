#!/usr/bin/env node
// RPO accuracy of the mysql-write and redis-write probes against a known loss (issue 12), as
// bench/rpo-accuracy.js does for postgres-write. Each trial is a drill of firedrill's own language, run
// as users run it (`firedrill run --keep --json`): the node that will be promoted stops replicating
// (MariaDB: STOP SLAVE on the replica; Redis: gasan's replica pointed at a port nothing listens on),
// the probe goes on writing to the primary alone for a window of W ms, the primary is SIGKILLed, and the
// other node is promoted (MariaDB: a runbook step, `mariadb-promote`; Redis: Sentinel). Ground truth,
// read apart from firedrill once the drill is over: the promoted node's own rows / keys through its
// own CLI (mariadb, redis-cli) inside its container. Truly lost = the writes the probe's client saw
// acknowledged (the run's samples.csv) that the promoted node does not hold. firedrill must report
// exactly those sequence numbers, and an RPO of t_fault minus the acknowledgement of the oldest of them.
//   node bench/rpo-accuracy-mysql-redis.js [--quick] [--reps N] [--windows 500,2000] [--kinds redis,mysql] [--out FILE] [--validate]
// Default 3 trials of each window for each kind (--quick: 1). Topologies of its own (projects
// mdrills-rpo-redis: messenger-3dc's Redis and Sentinels; mdrills-rpo-mysql: test/fixtures mariadb-2site,
// brought up afresh for each trial since the killed primary is left down), left as found.
import {execFileSync} from 'node:child_process'
import {readFileSync} from 'node:fs'
import path from 'node:path'

import {mariadbReadOnlyRoles} from './lib/drills.js'
import {BIN, cli, load, machine, parseArgs, ROOT, run, stats, writeResults} from './lib/common.js'
import {scratch} from './lib/topology.js'

const opts = parseArgs()
const flag = (name, dflt) => {
  const i = opts.rest.indexOf(name)
  return i >= 0 ? opts.rest[i + 1] : dflt
}
const reps = Number(flag('--reps', opts.quick ? 1 : 3))
const windows = flag('--windows', '500,2000').split(',').map(Number)
const kinds = flag('--kinds', 'redis,mysql').split(',')
const INTERVAL_MS = 50

const tmp = scratch('mdrills-rpo-kinds')
const env = {FIREDRILL_HOME: tmp.home}

/** A fixture topology under another project name, build contexts absolute, host ports moved. */
function fixtureAs(relative, project, edit = (t) => t) {
  const file = path.join(ROOT, relative)
  const text = readFileSync(file, 'utf8')
    .replace(/^name: .*$/m, `name: ${project}`)
    .replaceAll(/context: \.\/(\S+)/g, (_, dir) => `context: ${path.join(path.dirname(file), dir)}`)
    .replaceAll(/host: (\d+)\}/g, (_, port) => `host: ${Number(port) + 200}}`)
  return edit(text)
}

const SYSTEMS = {
  redis: {
    project: 'mdrills-rpo-redis',
    // messenger-3dc as shipped: Redis master in pangyo, replicas in gasan (promoted) and busan (never), a Sentinel per site.
    topology: (project) => fixtureAs('fixtures/topologies/messenger-3dc/topology.yaml', project),
    drill: (topology, windowMs) => `name: redis-lose-${windowMs}ms
description: gasan stops replicating, ${windowMs} ms of writes go to pangyo's master alone, which is then killed; Sentinel promotes gasan
topology: ${topology}
objectives: {rto: 60s, rpo: 60s}
probe: {kind: redis-write, service: redis, sentinels: {service: sentinel, master: messenger}, interval: ${INTERVAL_MS}ms, timeout: 1s}
steps:
  - runbook: pangyo serves (a lossless planned failover when it does not)
    argv: [messenger-switchover, pangyo, '90']
    in: {service: sentinel, site: busan}
    timeout: 120s
  - wait: healthy
    timeout: 120s
  - sleep: 1s
  - runbook: gasan stops replicating (it stays a replica, of nothing; what the drill loses)
    argv: [redis-cli, replicaof, 127.0.0.1, '1']
    in: {service: redis, site: gasan}
  - sleep: ${windowMs}ms
  - fault: kill
    target: {service: redis, role: leader}
    signal: SIGKILL
  - wait: recovered
    timeout: 60s
  - sleep: 1s
`,
    promoted: 'gasan',
    /** The sequence numbers of this run's keys on the promoted node, through redis-cli in its container. */
    present: (project, runId) =>
      exec(project, 'redis', 'gasan', ['redis-cli', '--scan', '--pattern', `firedrill:probe:${runId}:*`])
        .split('\n')
        .filter(Boolean)
        .map((k) => Number(k.split(':').at(-1))),
    perTrialTopology: false,
  },
  mysql: {
    project: 'mdrills-rpo-mysql',
    // mariadb-2site with roles from @@read_only (no cluster manager: the promotion is a runbook step).
    topology: (project) =>
      fixtureAs('test/fixtures/topologies/mariadb-2site/topology.yaml', project, (t) => mariadbReadOnlyRoles(t, 'leader: 1')),
    drill: (topology, windowMs) => `name: mysql-lose-${windowMs}ms
description: busan stops replicating, ${windowMs} ms of writes go to seoul alone, seoul is killed and left down, busan promoted
topology: ${topology}
objectives: {rto: 60s, rpo: 60s}
probe: {kind: mysql-write, service: mariadb, database: firedrill, user: firedrill, password: firedrill, interval: ${INTERVAL_MS}ms, timeout: 1s}
steps:
  - sleep: 1s
  - runbook: busan stops replicating (what the drill loses)
    argv: [mariadb, --protocol=socket, -uroot, -pfiredrill-root, -e, 'STOP SLAVE']
    in: {service: mariadb, site: busan}
  - sleep: ${windowMs}ms
  - fault: kill
    target: {service: mariadb, role: leader}
    signal: SIGKILL
    revert: false
  - runbook: promote busan
    argv: [mariadb-promote]
    in: {service: mariadb, site: busan}
  - wait: recovered
    timeout: 60s
  - sleep: 1s
`,
    promoted: 'busan',
    present: (project, runId) =>
      exec(project, 'mariadb', 'busan', ['mariadb', '--protocol=socket', '-uroot', '-pfiredrill-root', '-N', '-B', '-e', `SELECT seq FROM firedrill.firedrill_probe WHERE run_id = '${runId}'`])
        .split('\n')
        .filter(Boolean)
        .map(Number),
    // The killed primary is left down (revert: false): a fresh topology for each trial.
    perTrialTopology: true,
  },
}

function exec(project, service, site, argv) {
  const [id] = execFileSync('docker', ['ps', '-q', '--filter', `label=io.firedrill.project=${project}`, '--filter', `label=io.firedrill.service=${service}`, '--filter', `label=io.firedrill.site=${site}`], {encoding: 'utf8'}).trim().split('\n').filter(Boolean)
  if (!id) throw new Error(`no running ${service} on ${site} in ${project}`)
  return execFileSync('docker', ['exec', id, ...argv], {encoding: 'utf8'})
}

/** seq → {start, end, outcome} from a bundle's samples.csv (the first four fields hold no comma). */
function samplesOf(dir) {
  const lines = readFileSync(path.join(dir, 'samples.csv'), 'utf8').trim().split('\n').slice(1)
  return new Map(lines.map((l) => l.split(',')).map(([seq, start, end, outcome]) => [Number(seq), {start: Number(start), end: Number(end), outcome}]))
}

const r2 = (x) => (x === null || x === undefined ? null : Math.round(x * 100) / 100)

function analyse(kind, windowMs, result, present) {
  const m = result.measurements
  const fault = result.timeline.find((e) => e.kind === 'fault')
  const samples = samplesOf(result.evidence.dir)
  const acked = [...samples.entries()].filter(([, s]) => s.outcome === 'ok').map(([seq]) => seq)
  const have = new Set(present)
  const truth = acked.filter((seq) => !have.has(seq)).sort((a, b) => a - b)
  const oldest = truth.length > 0 ? Math.min(...truth.map((seq) => samples.get(seq).end)) : null
  const rpoExpected = truth.length === 0 ? 0 : Math.max(0, fault.t_ms - oldest)
  return {
    kind,
    window_ms: windowMs,
    run_id: result.run_id,
    verdict: result.verdict,
    acknowledged: acked.length,
    truly_lost: truth.length,
    reported_lost: m.lost_writes,
    seqs_match: JSON.stringify(m.lost_seqs) === JSON.stringify(truth),
    lost_seqs: m.lost_seqs,
    true_lost_seqs: truth,
    indeterminate_writes: m.indeterminate_writes,
    indeterminate_present: m.indeterminate_present,
    rpo_ms: m.rpo_ms,
    rpo_expected_ms: r2(rpoExpected),
    rpo_error_ms: m.rpo_ms === null ? null : r2(m.rpo_ms - rpoExpected),
    rto_ms: m.rto_ms,
    read_back: result.timeline.find((e) => e.kind === 'read-back')?.detail ?? null,
  }
}

// --validate: write the topologies and drills and check them with `firedrill validate` (no engine), then stop.
if (opts.rest.includes('--validate')) {
  const files = kinds.flatMap((kind) => {
    const system = SYSTEMS[kind]
    const topology = tmp.write(`${system.project}.yaml`, system.topology(system.project))
    return [topology, ...windows.map((w) => tmp.write(`${kind}-lose-${w}.yaml`, system.drill(topology, w)))]
  })
  const r = cli(['validate', ...files], {env})
  console.log(r.stdout, r.stderr)
  tmp.cleanup()
  process.exit(r.status ?? 1)
}

const before = load()
const started = Date.now()
const trials = []
try {
  for (const kind of kinds) {
    const system = SYSTEMS[kind]
    if (!system) throw new Error(`--kinds: no system "${kind}" (redis, mysql)`)
    const topology = tmp.write(`${system.project}.yaml`, system.topology(system.project))
    try {
      for (const windowMs of windows) {
        for (let i = 0; i < reps; i++) {
          const file = tmp.write(`${kind}-lose-${windowMs}.yaml`, system.drill(topology, windowMs))
          const r = await run(process.execPath, [BIN, 'run', file, '--keep', '--json', '--ci'], {env: {...process.env, ...env}})
          let result
          try {
            result = JSON.parse(r.stdout.trim().split('\n')[0])
          } catch {
            throw new Error(`run ${file}: exit ${r.status}\n${r.stdout}\n${r.stderr.slice(-3000)}`)
          }
          if (!result.measurements || result.status !== 'completed') throw new Error(`run ${file}: ${JSON.stringify(result.error ?? result).slice(0, 3000)}\n${r.stderr.slice(-3000)}`)
          const row = analyse(kind, windowMs, result, system.present(system.project, result.run_id))
          trials.push(row)
          console.log(
            `${kind} W ${windowMs} ms: truly lost ${row.truly_lost} of ${row.acknowledged}, firedrill ${row.reported_lost}, seqs match ${row.seqs_match}; RPO ${row.rpo_ms} ms (expected ${row.rpo_expected_ms} ms); RTO ${row.rto_ms} ms`,
          )
          if (system.perTrialTopology) cli(['down', '--topology', topology, '--json'], {env})
        }
      }
    } finally {
      cli(['down', '--topology', topology, '--json'], {env})
    }
  }
} finally {
  tmp.cleanup()
}

const rows = kinds.flatMap((kind) =>
  windows.map((windowMs) => {
    const mine = trials.filter((t) => t.kind === kind && t.window_ms === windowMs)
    return {
      kind,
      window_ms: windowMs,
      trials: mine.length,
      truly_lost: mine.map((t) => t.truly_lost),
      reported_lost: mine.map((t) => t.reported_lost),
      exact: mine.length > 0 && mine.every((t) => t.reported_lost === t.truly_lost && t.seqs_match),
      rpo_ms: stats(mine.map((t) => t.rpo_ms)),
      rpo_error_ms: stats(mine.map((t) => t.rpo_error_ms)),
    }
  }),
)
const result = {
  benchmark: 'rpo-accuracy-mysql-redis',
  command: `node bench/rpo-accuracy-mysql-redis.js ${process.argv.slice(2).join(' ')}`.trim(),
  machine: machine(),
  load_before: before,
  load_after: load(),
  wall_s: Math.round((Date.now() - started) / 1000),
  method: {
    probe_interval_ms: INTERVAL_MS,
    redis: "messenger-3dc (Redis 7, a Sentinel per site): gasan's replica pointed at 127.0.0.1:1 (REPLICAOF), W ms of writes, SIGKILL of pangyo's master, Sentinel promotes gasan; firedrill's revert restarts pangyo, which follows gasan",
    mysql: 'mariadb-2site (MariaDB 10.11, GTID replica): STOP SLAVE on busan, W ms of writes, SIGKILL of seoul (revert: false, left down), runbook mariadb-promote on busan; a fresh topology per trial',
    truth: "the promoted node's own rows / keys of the run, read through its CLI in its container after the drill; truly lost = acknowledged in the run's samples.csv and absent there; expected RPO = t_fault - acknowledgement (sample end) of the oldest truly lost",
  },
  rpo_accuracy: rows,
  trials,
}
writeResults('rpo-accuracy-mysql-redis', result, opts.out)
