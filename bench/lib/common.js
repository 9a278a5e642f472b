// Shared helpers of the benchmark scripts: the built CLI, statistics, machine facts, results files.
import {execFileSync, spawn, spawnSync} from 'node:child_process'
import {mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import {fileURLToPath} from 'node:url'

export const ROOT = fileURLToPath(new URL('../..', import.meta.url))
export const BIN = `${ROOT}bin/run.js`
export const RESULTS_DIR = `${ROOT}bench/results`

/** Flags every script understands: --quick (small N, for a smoke run), --out FILE. */
export function parseArgs(argv = process.argv.slice(2)) {
  const opts = {quick: false, out: undefined, rest: []}
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--quick') opts.quick = true
    else if (argv[i] === '--out') opts.out = argv[++i]
    else opts.rest.push(argv[i])
  }
  return opts
}

/** Run the built CLI synchronously; FIREDRILL_HOME in a scratch dir so benches never touch the checkout's history. */
export function cli(args, opts = {}) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: {...process.env, FIREDRILL_HOME: process.env.FIREDRILL_HOME ?? `${os.tmpdir()}/firedrill-bench-home`, ...opts.env},
    maxBuffer: 256 * 1024 * 1024,
    timeout: opts.timeout ?? 900_000,
  })
  return r
}

/** Parse one JSON document from stdout, or throw with what the command printed. */
export function json(r, what) {
  try {
    return JSON.parse(r.stdout)
  } catch {
    throw new Error(`${what}: exit ${r.status}, no JSON on stdout\nstdout: ${r.stdout?.slice(0, 2000)}\nstderr: ${r.stderr?.slice(-3000)}`)
  }
}

/** Parse `run --json` output: one JSON object per line. */
export function jsonLines(r, what) {
  const lines = (r.stdout ?? '').trim().split('\n').filter(Boolean)
  try {
    return lines.map((l) => JSON.parse(l))
  } catch {
    throw new Error(`${what}: exit ${r.status}, stdout is not JSON lines\nstdout: ${r.stdout?.slice(0, 2000)}\nstderr: ${r.stderr?.slice(-3000)}`)
  }
}

/** Wall time of a synchronous function, ms. */
export function timed(fn) {
  const t = performance.now()
  const value = fn()
  return {ms: performance.now() - t, value}
}

export function quantile(sorted, q) {
  if (sorted.length === 0) return null
  const pos = (sorted.length - 1) * q
  const lo = Math.floor(pos)
  const hi = Math.ceil(pos)
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo)
}

/** median, min, max, p10, p90, mean, n of a list of numbers (rounded to 0.01). */
export function stats(values) {
  const xs = values.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b)
  const r = (x) => (x === null ? null : Math.round(x * 100) / 100)
  if (xs.length === 0) return {n: 0, median: null, min: null, max: null, p10: null, p90: null, mean: null}
  return {
    n: xs.length,
    median: r(quantile(xs, 0.5)),
    min: r(xs[0]),
    max: r(xs.at(-1)),
    p10: r(quantile(xs, 0.1)),
    p90: r(quantile(xs, 0.9)),
    mean: r(xs.reduce((a, b) => a + b, 0) / xs.length),
  }
}

/** What the machine is and what else was going on: load averages, other containers running. */
export function machine() {
  const docker = (fmt) => {
    try {
      return execFileSync('docker', ['version', '--format', fmt], {encoding: 'utf8'}).trim()
    } catch {
      return null
    }
  }
  return {
    host: os.hostname(),
    cpus: os.cpus().length,
    cpu_model: os.cpus()[0]?.model ?? null,
    mem_gib: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    engine: docker('{{.Server.Version}}'),
    engine_api: docker('{{.Server.APIVersion}}'),
    firedrill: JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')).version,
  }
}

/** Load averages and other containers: the noise around a measurement. */
export function load() {
  let containers = []
  try {
    containers = execFileSync('docker', ['ps', '--format', '{{.Names}}'], {encoding: 'utf8'}).trim().split('\n').filter(Boolean)
  } catch {}
  return {at: new Date().toISOString(), loadavg: os.loadavg().map((x) => Math.round(x * 100) / 100), running_containers: containers.length, containers}
}

/** Write one benchmark's results to bench/results/<name>-<date>[-quick].json (or --out; name '' for the combined <date>.json); returns the path. */
export function writeResults(name, body, out) {
  mkdirSync(RESULTS_DIR, {recursive: true})
  const quick = process.argv.includes('--quick') ? '-quick' : ''
  const file = out ?? `${RESULTS_DIR}/${name ? `${name}-` : ''}${new Date().toISOString().slice(0, 10)}${quick}.json`
  writeFileSync(file, `${JSON.stringify(body, null, 2)}\n`)
  console.log(`wrote ${file}`)
  return file
}

/** Spawn a process asynchronously and resolve with exit code and output. */
export function run(cmd, args, opts = {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, {cwd: ROOT, ...opts})
    let stdout = ''
    let stderr = ''
    child.stdout?.on('data', (d) => (stdout += d))
    child.stderr?.on('data', (d) => (stderr += d))
    child.on('exit', (code) => resolve({status: code, stdout, stderr, pid: child.pid}))
  })
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
