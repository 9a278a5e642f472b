import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {loadDrillFiles} from '../../src/config/drill-files.js'
import {DockerEngine} from '../../src/engine/docker.js'
import {DEFAULT_DRILLS_DIR} from '../../src/paths.js'
import {chaosSettings, chaosTrial, rng, type ChaosTarget} from '../support/chaos.js'
import {firedrill} from '../support/cli.js'
import {labelled, NOTHING, testProject} from '../support/docker.js'
import {embeddedTopologyAs, tempDir} from '../support/files.js'

// 4 trials a run here and 2 on three engines (the multi-engine project, beside this one) keep the README
// test command under 30 minutes; every run draws a new seed, so the nightly runs together cover far more.
// CHAOS_TRIALS=20 (or more) goes deeper.
const {trials: TRIALS, seed: SEED} = chaosSettings(4)
const LONG = {timeout: 600_000}

/**
 * firedrill's own chaos test: real drills interrupted at random moments (SIGINT, SIGTERM, SIGKILL then
 * cleanup); afterwards nothing may be left worse than before: nothing paused, every container on its
 * networks, no network-fault helper, no qdisc of ours, no crash journal, and the topology healthy again
 * (test/support/chaos.ts; the multi-engine layer runs the same trials on three engines).
 */
describe(`chaos: ${TRIALS} interrupted drills (seed ${SEED})`, () => {
  const project = testProject()
  const tmp = tempDir()
  const topology = tmp.write(`${project}.yaml`, embeddedTopologyAs(project))
  const engine = new DockerEngine()
  const target: ChaosTarget = {project, topology, engines: [engine], drills: loadDrillFiles([DEFAULT_DRILLS_DIR]).drills.map((d) => d.drill.file), cleanupArgs: ['--project', project]}

  beforeAll(async () => {
    console.log(`chaos seed ${SEED} (replay with CHAOS_SEED=${SEED} CHAOS_TRIALS=${TRIALS})`)
    const up = await firedrill(['up', '--topology', topology, '--ci'], LONG)
    expect(up.exitCode, up.stderr).toBe(0)
  }, 600_000)

  afterAll(async () => {
    await firedrill(['down', '--project', project], LONG)
    expect(await labelled(project)).toEqual(NOTHING)
    engine.close()
    tmp.cleanup()
  }, 600_000)

  it('every trial leaves the topology as it was', async () => {
    const next = rng(SEED)
    const trials: string[] = []
    for (let i = 0; i < TRIALS; i++) trials.push(await chaosTrial(target, next, i, SEED))
    console.log(trials.join('\n'))
  }, 7_200_000)
})
