#!/usr/bin/env node
// The first minutes on a fresh machine, phase by phase: from `./scripts/quickstart.sh` starting to the
// first graded drill on screen (fresh_first_verdict_s) and to all shipped drills graded (fresh_all_s).
//   node bench/fresh-machine.js [--out FILE] [-- QUICKSTART_ARGS...]   (e.g. -- --parallel 3)
// A fresh machine, simulated as far as this one allows:
//   - a fresh clone of the committed HEAD (no node_modules, no dist, no .firedrill);
//   - an empty npm cache (npm_config_cache in a scratch directory: npm ci downloads every package);
//   - the images the quickstart builds removed first: firedrill/bank-node:15, firedrill/net-helper:1,
//     and the debootstrap base firedrill/debian-base:bookworm (and debian:bookworm-slim if present), so
//     the base is made again with debootstrap and every image built from it without Docker's cache.
// What it cannot remove is recorded in the results: the apt packages (docker.io, debootstrap, Node 24
// under /usr/local), the running engine (shared), images other sessions use (which may keep layers of the
// old base), the kernel's page cache.
// Removing images would break others' tests: the script takes /tmp/firedrill-integration.lock itself
// (re-running under flock) and leaves the images rebuilt (by the quickstart) when it releases it.
// It refuses to start when a container uses one of the images it would remove.
import {execFileSync, spawn, spawnSync} from 'node:child_process'
import {mkdtempSync, rmSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {load, machine, parseArgs, ROOT, writeResults} from './lib/common.js'

const LOCK = '/tmp/firedrill-integration.lock'
if (!process.env.FIREDRILL_FRESH_LOCKED) {
  const r = spawnSync('flock', [LOCK, process.execPath, ...process.argv.slice(1)], {stdio: 'inherit', env: {...process.env, FIREDRILL_FRESH_LOCKED: '1'}})
  process.exit(r.status ?? 1)
}

const dash = process.argv.indexOf('--')
const quickstartArgs = dash >= 0 ? process.argv.slice(dash + 1) : []
const opts = parseArgs(dash >= 0 ? process.argv.slice(2, dash) : process.argv.slice(2))
const REMOVE = ['firedrill/bank-node:15', 'firedrill/net-helper:1', 'firedrill/debian-base:bookworm', 'debian:bookworm-slim']
const docker = (...args) => execFileSync('docker', args, {encoding: 'utf8'}).trim()
const present = (ref) => spawnSync('docker', ['image', 'inspect', ref], {stdio: 'ignore'}).status === 0

const inUse = REMOVE.filter(present).flatMap((ref) => docker('ps', '-a', '--filter', `ancestor=${ref}`, '--format', '{{.Names}}').split('\n').filter(Boolean).map((c) => `${c} (${ref})`))
if (inUse.length > 0) {
  console.error(`containers use images this benchmark would remove: ${inUse.join(', ')}; run it when they are gone`)
  process.exit(2)
}

const before = load()
// A safety net, not part of the measurement: should the quickstart fail to rebuild them (a mirror down),
// the images are loaded back from here before the lock is released.
const scratchDir = mkdtempSync(path.join(os.tmpdir(), 'parbench-fresh-'))
const saved = path.join(scratchDir, 'images.tar')
const toSave = REMOVE.filter(present)
if (toSave.length > 0) execFileSync('docker', ['save', '-o', saved, ...toSave])
const removed = []
const notRemoved = []
for (const ref of REMOVE) {
  if (!present(ref)) continue
  const r = spawnSync('docker', ['rmi', ref], {encoding: 'utf8'})
  if (r.status === 0) removed.push({ref, docker_said: r.stdout.trim().split('\n').filter((l) => l.startsWith('Deleted')).length + ' layers deleted'})
  else notRemoved.push({ref, why: r.stderr.trim()})
}
console.log(`removed: ${removed.map((r) => r.ref).join(', ') || 'nothing'}${notRemoved.length ? `; not removed: ${JSON.stringify(notRemoved)}` : ''}`)

const clone = path.join(scratchDir, 'firedrill')
const head = execFileSync('git', ['-C', ROOT, 'rev-parse', 'HEAD'], {encoding: 'utf8'}).trim()
execFileSync('git', ['clone', '--quiet', '--no-hardlinks', ROOT, clone])
execFileSync('git', ['-C', clone, 'checkout', '--quiet', head])

/** Run the quickstart, every output line stamped with seconds since it started. */
function quickstart() {
  return new Promise((resolve) => {
    const t0 = performance.now()
    const lines = []
    const child = spawn('./scripts/quickstart.sh', quickstartArgs, {
      cwd: clone,
      env: {...process.env, npm_config_cache: path.join(scratchDir, 'npm-cache'), FIREDRILL_HOME: path.join(scratchDir, 'home'), FIREDRILL_FRESH_LOCKED: ''},
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    const take = (stream, name) => {
      let buf = ''
      stream.on('data', (d) => {
        buf += d
        let nl
        while ((nl = buf.indexOf('\n')) >= 0) {
          const text = buf.slice(0, nl)
          buf = buf.slice(nl + 1)
          const t = Math.round((performance.now() - t0) / 100) / 10
          lines.push({t, stream: name, text})
          process.stdout.write(`${t.toFixed(1).padStart(6)} ${text}\n`)
        }
      })
    }
    take(child.stdout, 'stdout')
    take(child.stderr, 'stderr')
    child.on('exit', (code) => resolve({code, lines, wall_s: Math.round((performance.now() - t0) / 100) / 10}))
  })
}

let result
try {
  const q = await quickstart()
  const at = (re) => q.lines.find((l) => re.test(l.text))?.t ?? null
  // A drill's verdict line, as run logs it when the drill is graded: "NAME: PASS  RTO ..." (or FAIL).
  // On stderr, as each drill is graded (stdout repeats them below the table at the end).
  const graded = q.lines.filter((l) => l.stream === 'stderr' && /^\S+: (PASS|FAIL|ABORTED|INTERRUPTED)\s+RTO /.test(l.text))
  const phases = {
    node_ok_s: at(/^\[setup\] node /),
    engine_ok_s: at(/^\[setup\] docker engine /),
    npm_ci_start_s: at(/^\[setup\] npm ci/),
    build_start_s: at(/^\[setup\] building/),
    images_start_s: at(/^\[setup\] images/),
    setup_ready_s: at(/^\[setup\] ready/),
    first_copy_or_topology_healthy_s: at(/Wait until healthy \[/),
  }
  result = {
    benchmark: 'fresh-machine',
    command: `node bench/fresh-machine.js ${process.argv.slice(2).join(' ')}`.trim(),
    commit: head,
    quickstart: `./scripts/quickstart.sh ${quickstartArgs.join(' ')}`.trim(),
    machine: machine(),
    load_before: before,
    load_after: load(),
    simulated: {
      fresh_clone: true,
      empty_npm_cache: true,
      images_removed: removed,
      images_not_removed: notRemoved,
      not_removable_here: [
        'apt packages: docker.io (the engine is running and shared), debootstrap, Node 24 under /usr/local',
        'images other sessions use (they may keep layers of the old base image; the new base is debootstrapped afresh)',
        "the kernel's page cache",
      ],
    },
    exit: q.code,
    phases,
    graded: graded.map((l) => ({t_s: l.t, line: l.text})),
    fresh_first_verdict_s: graded[0]?.t ?? null,
    fresh_all_s: graded.length >= 7 ? graded[6].t : null,
    quickstart_wall_s: q.wall_s,
    goals: {fresh_first_verdict_s: 180, fresh_all_s: 360},
  }
  console.log(`first verdict ${result.fresh_first_verdict_s} s, all ${graded.length} graded at ${result.fresh_all_s} s, quickstart wall ${q.wall_s} s, exit ${q.code}`)
} finally {
  // The images are left rebuilt (by the quickstart); say so if not.
  const missing = ['firedrill/bank-node:15', 'firedrill/net-helper:1', 'firedrill/debian-base:bookworm'].filter((ref) => !present(ref))
  if (missing.length > 0) {
    console.error(`not rebuilt by the quickstart: ${missing.join(', ')}; loading the saved images back before the lock is released`)
    spawnSync('docker', ['load', '-i', saved], {stdio: 'inherit'})
  }
  if (result) result.images_missing_after = missing
  spawnSync(process.execPath, [path.join(clone, 'bin', 'run.js'), 'down', '--topology', path.join(clone, 'fixtures/topologies/bank-3site/topology.yaml')], {stdio: 'ignore'})
  rmSync(scratchDir, {recursive: true, force: true})
}
writeResults('fresh-machine', result, opts.out)
