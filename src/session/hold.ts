import {hostname} from 'node:os'

import {refuseIfUnfinished} from '../drill/journal.js'
import {errorMessage} from '../errors.js'
import type {Engine} from '../engine/engine.js'
import {ensureNetHelperImage, NET_HELPER_IMAGE} from '../faults/net-helper.js'
import type {Topology} from '../model/topology.js'
import {bringUp, type UpResult} from '../topology/lifecycle.js'
import {interruptible} from '../util/interrupt.js'
import type {Progress} from '../util/progress.js'
import {withProjectLocks} from './lock.js'

/**
 * A command's hold on the topologies it changes, in the order every such command needs: the lock of
 * each project (before the engine is even asked), a refusal when a killed run left faults in place
 * (its crash journal: firedrill cleanup first), then the engine. Released however `work` ends.
 */
export async function holdTopologies<T>(
  projects: readonly string[],
  opts: {connect: () => Promise<Engine>; log: (message: string) => void; journal?: boolean},
  work: (engine: Engine) => Promise<T>,
): Promise<T> {
  return withProjectLocks(
    projects,
    async () => {
      // A run that was killed left faults in place: restore first (firedrill cleanup), never drill on top of them.
      if (opts.journal !== false) for (const project of new Set(projects)) refuseIfUnfinished(project)
      const engine = await opts.connect()
      // The lock is also held on the topology's engine(s), which runners on other machines see (src/engine/engine-lock.ts).
      const releases: (() => Promise<void>)[] = []
      try {
        if (engine.holdEngineLock) {
          const holder = {pid: process.pid, host: hostname(), started_at: new Date().toISOString(), command: process.argv.slice(2).join(' ').slice(0, 200)}
          for (const project of new Set(projects)) releases.push(await engine.holdEngineLock(project, holder))
        }
        return await work(engine)
      } finally {
        for (const release of releases) await release().catch((error: unknown) => opts.log(`could not release the topology's lock on its engine: ${errorMessage(error)}`))
      }
    },
    opts.log,
  )
}

/** `up`: hold the topology, bring it up and wait until it is healthy; interrupted half-way, what was created is removed. */
export async function upTopology(
  topology: Topology,
  opts: {connect: () => Promise<Engine>; progress: Progress; buildArgs?: Record<string, string>; rebuild?: boolean},
): Promise<UpResult> {
  const {progress} = opts
  return holdTopologies([topology.project], {connect: opts.connect, log: progress.log}, (engine) =>
    interruptible(
      (signal) =>
        bringUp(topology, engine, {
          buildArgs: opts.buildArgs,
          rebuild: opts.rebuild,
          progress,
          signal,
          relayImage: () => ensureNetHelperImage(engine, {buildArgs: opts.buildArgs, progress}).then(() => NET_HELPER_IMAGE),
        }),
      progress.log,
    ),
  )
}
