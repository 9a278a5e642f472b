import {z} from 'zod'

import {containerPath, GIB, size} from '../config/common.js'
import type {FaultKindSchema} from '../config/fault-kinds.js'
import type {ContainerExec} from '../engine/engine.js'
import type {Fault} from './fault.js'
import {containersOf, type FaultKindModule} from './kind.js'
import {applyUndo, undoRecord, type UndoEngine} from './undo.js'
import type {ContainerTarget} from './kill.js'

/** The file the fault writes; named so that anyone who finds it knows who made it and may delete it. */
export const FILLER_NAME = '.firedrill-disk-full'

export interface FsUsage {
  availBytes: number
  sizeBytes: number
  fstype: string
}

/** The one file a disk-full fault writes under `dir`. */
export function fillerPath(dir: string): string {
  return `${dir.replace(/\/+$/, '')}/${FILLER_NAME}`
}

/** `df -B1 --output=avail,size,fstype PATH`, parsed. Pure, for tests. */
export function parseDf(stdout: string): FsUsage | undefined {
  const line = stdout.trim().split('\n').at(-1)?.trim().split(/\s+/)
  if (!line || line.length < 3) return undefined
  const [avail = '', size = '', fstype = ''] = line
  if (!/^\d+$/.test(avail) || !/^\d+$/.test(size)) return undefined
  return {availBytes: Number(avail), sizeBytes: Number(size), fstype}
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`
  return `${(n / 1024 ** 3).toFixed(2)} GiB`
}

/**
 * Fill the filesystem holding `dir` inside each target until no space is left, with one file of
 * ours; undo by deleting that file. Refuses a filesystem larger than `maxFill`, so a mistake can
 * never fill a host disk.
 */
export function diskFullFault(engine: ContainerExec & UndoEngine, targets: readonly ContainerTarget[], dir: string, maxFill: number): Fault {
  if (targets.length === 0) throw new Error('disk-full needs at least one target')
  const filler = fillerPath(dir)
  const run = (t: ContainerTarget, argv: string[]) => engine.exec(t.id, argv, {user: 'root', timeoutMs: 60_000})
  const usage = async (t: ContainerTarget): Promise<FsUsage> => {
    const r = await run(t, ['df', '-B1', '--output=avail,size,fstype', dir])
    const u = r.exitCode === 0 ? parseDf(r.stdout) : undefined
    if (!u) throw new Error(`cannot read the free space of ${dir} in ${t.name}: ${(r.stderr || r.stdout).trim() || `df exit ${r.exitCode}`}`)
    return u
  }
  return {
    description: `fill ${dir} in ${targets.map((t) => t.name).join(', ')}`,
    async inject() {
      const before = await Promise.all(targets.map(async (t) => ({t, u: await usage(t)})))
      const tooBig = before.filter(({u}) => u.availBytes > maxFill)
      if (tooBig.length > 0) {
        const {t, u} = tooBig[0]!
        throw new Error(`${dir} in ${t.name} has ${formatBytes(u.availBytes)} free (${u.fstype}); disk-full fills at most ${formatBytes(maxFill)} (max_fill)`)
      }
      const filled: ContainerTarget[] = []
      // The revert is the fault's undo record (the file, in every container it was written to), applied strictly.
      const undo = async () => {
        await applyUndo(undoRecord.removeFile(filler, filled), engine, 'strict')
      }
      try {
        for (const {t, u} of before) {
          filled.push(t)
          const fast = await run(t, ['fallocate', '-l', String(u.availBytes), filler])
          if (fast.exitCode !== 0) {
            // Not every filesystem takes fallocate, and metadata can make the exact size not fit: write zeros until it is full.
            const slow = await run(t, ['dd', 'if=/dev/zero', `of=${filler}`, 'bs=1M', 'oflag=append', 'conv=notrunc'])
            if (slow.exitCode === 0 || !/No space left/i.test(slow.stderr)) {
              throw new Error(`could not fill ${dir} in ${t.name}: ${slow.stderr.trim() || `dd exit ${slow.exitCode}`}`)
            }
          }
        }
        const after = await Promise.all(targets.map(async (t) => ({t, u: await usage(t)})))
        return {
          detail: after.map(({t, u}) => `${t.name}: ${dir} (${u.fstype}, ${formatBytes(u.sizeBytes)}) ${formatBytes(u.availBytes)} free`).join('; '),
          revert: {description: `remove ${filler} from ${targets.map((t) => t.name).join(', ')}`, run: undo},
        }
      } catch (error) {
        await undo().catch(() => {})
        throw error
      }
    },
  }
}

/** disk-full: fill the path's filesystem with one file of ours; undo: remove that file. */
export const diskFullKind: FaultKindModule<'disk-full'> = {
  kind: 'disk-full',
  build: (step, env) => diskFullFault(env.engine, containersOf(env.targets), step.path, step.max_fill),
  undo: (step, env) => undoRecord.removeFile(fillerPath(step.path), containersOf(env.targets)),
}

/** disk-full: the directory whose filesystem is filled, and how much it may fill at most. */
export const diskFullSchema: FaultKindSchema<'disk-full'> = {
  kind: 'disk-full',
  fields: {
    /** A directory inside the target (on a size-limited volume) whose filesystem is filled. */
    path: containerPath('path').optional(),
    /** Refuse to fill more than this (a guard against filling a host disk by mistake). */
    max_fill: size().default(2 * GIB),
  },
  only: {fields: ['path'], message: (field, fault) => `${field} only applies to disk-full, not ${fault}`, afterTarget: true},
  target: 'required',
  leaveable: true,
  check: (step, ctx) => {
    if (step.path === undefined) ctx.addIssue({code: 'custom', path: ['path'], message: 'disk-full needs path: a directory on the data volume to fill, e.g. /var/lib/postgresql/data'})
  },
  narrow: (step) => (step.fault === 'disk-full' && step.target && step.path !== undefined ? {...step, fault: 'disk-full', target: step.target, path: step.path} : undefined),
}
