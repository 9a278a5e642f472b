import {tmpdir} from 'node:os'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {LABEL} from '../../src/engine/labels.js'
import type {DrillResult} from '../../src/model/result.js'
import {DEFAULT_TOPOLOGY, PACKAGE_ROOT} from '../../src/paths.js'
import {firedrill, firedrillMeanwhile} from '../support/cli.js'
import {startEngines, type EngineLab} from '../support/engines.js'

// Issue 14 point 5, the simplest remote case: DOCKER_HOST names one engine on another host (here an
// engine in a container: the runner reaches its API, not its containers' addresses). `up` finds it
// cannot route to them and puts the relay on the topology's networks; the roles are read and a
// kill-primary drill is measured through it, on the runner's clock; `down` leaves nothing on that engine.
describe('one remote engine, reached through the relay', () => {
  let lab: EngineLab
  let env: Record<string, string>

  beforeAll(async () => {
    lab = await startEngines({project: `rlyrelay${Math.random().toString(36).slice(2, 6)}`, count: 1, swarm: false, images: ['firedrill/bank-node:15', 'firedrill/net-helper:1']})
    env = {DOCKER_HOST: lab.at(0).host}
  })
  afterAll(async () => {
    if (env) await firedrill(['down', '--topology', DEFAULT_TOPOLOGY], {env, timeout: 120_000})
    await lab?.remove()
  })

  it('up reaches the cluster roles through the relay, a kill-primary drill is graded through it, down removes the relay with the rest', async () => {
    const up = await firedrill(['up', '--topology', DEFAULT_TOPOLOGY, '--ci', '--json'], {env, timeout: 420_000})
    expect(up.exitCode, up.stderr).toBe(0)
    const upJson = JSON.parse(up.stdout) as {route: {kind: string; container: string; host: string; why: string}}
    expect(upJson.route).toMatchObject({kind: 'relay', container: 'fd-bank-3site-relay', host: lab.at(0).ip})
    expect(upJson.route.why).toContain('runs on another host')

    const status = await firedrill(['status', '--topology', DEFAULT_TOPOLOGY], {env, timeout: 60_000})
    expect(status.exitCode, status.stderr).toBe(0)
    expect(status.stdout).toContain(`through the relay fd-bank-3site-relay on ${lab.at(0).ip}`)
    expect(status.stdout).toMatch(/leader/)

    // While it runs, the topology's lock is a volume on the remote engine, which a runner on another machine
    // (here: another lock directory, so the local lock file is not what stops it) finds and is refused by.
    const lockVolume = async () => (await lab.docker(lab.at(0), ['volume', 'ls', '-q', '--filter', 'name=fd-bank-3site-lock'])).stdout.trim()
    let other: {exitCode?: number; stderr: string} | undefined
    let held = ''
    const run = await firedrillMeanwhile(['run', path.join(PACKAGE_ROOT, 'drills', 'kill-primary.yaml'), '--keep', '--ci', '--reporter', 'json'], /Step 1\/4: sleep/, async () => {
      held = await lockVolume()
      other = await firedrill(['up', '--topology', DEFAULT_TOPOLOGY, '--ci'], {env: {...env, FIREDRILL_LOCK_DIR: path.join(tmpdir(), `fd-other-runner-${process.pid}`)}, timeout: 60_000})
    }, {env, timeout: 420_000})
    expect(run.exitCode, run.stderr).toBe(0)
    expect(held).toBe('fd-bank-3site-lock')
    expect(other?.exitCode, other?.stderr).toBe(2)
    expect(other?.stderr).toMatch(/topology bank-3site is in use by another firedrill \(pid \d+ on .*\), as the volume fd-bank-3site-lock on its engine says/)
    expect(await lockVolume(), 'released when the run ended').toBe('')
    const result = JSON.parse(run.stdout) as DrillResult
    expect(result.status).toBe('completed')
    expect(result.verdict).toBe('pass')
    expect(result.route).toMatchObject({via: 'relay', relay: 'fd-bank-3site-relay', host: lab.at(0).ip, trials: 15})
    expect(result.route!.connect_ms).toBeGreaterThan(0)
    expect(result.route!.added_ms).not.toBeNull()
    // What the relay adds is part of the figure's precision: the probe interval plus it.
    expect(result.measurements.resolution_ms).toBeCloseTo(100 + result.route!.added_ms!, 5)
    expect(result.measurements.rto_ms).toBeGreaterThan(0)
    expect(result.measurements.lost_writes).toBe(0)
    // The figures for bench/README.md ("What the relay adds"), in the test log.
    console.info(`relay: connect ${result.route!.connect_ms} ms, adds ${result.route!.added_ms} ms (medians of ${result.route!.trials}); RTO ${result.measurements.rto_ms} ms ± ${result.measurements.resolution_ms} ms`)

    const down = await firedrill(['down', '--topology', DEFAULT_TOPOLOGY], {env, timeout: 120_000})
    expect(down.exitCode, down.stderr).toBe(0)
    const filter = ['--filter', `label=${LABEL.project}=bank-3site`]
    for (const kind of [['ps', '-aq'], ['network', 'ls', '-q'], ['volume', 'ls', '-q']]) {
      expect((await lab.docker(lab.at(0), [...kind, ...filter])).stdout.trim(), kind.join(' ')).toBe('')
    }
  })
})
