import {ProjectBusyError} from '../errors.js'
import {LABEL} from './labels.js'

/**
 * A topology's lock held on its engines, so runners on two machines cannot drill it at once: a small
 * object named `fd-PROJECT-lock` whose creation is atomic by name, its labels saying who holds it. Sites
 * on several engines: a swarm config (the managers' Raft store). One engine: a volume (create-or-get by
 * name; the labels of the one that exists say whether it is ours).
 */
export interface LockStore {
  /** What the object is, in the words of the busy error ("the swarm config", "the volume"). */
  readonly what: string
  /** Where it lives (an engine's address), for the remedy. */
  readonly where: string
  /** The docker CLI words that remove it by hand (`config rm`, `volume rm`). */
  readonly removeCommand: string
  create(name: string, labels: Record<string, string>): Promise<{created: true} | {created: false; labels: Record<string, string>}>
  inspect(name: string): Promise<Record<string, string> | undefined>
  remove(name: string): Promise<void>
}

export type Holder = Record<string, string | number>

const HOLDER = 'io.firedrill.holder.'
/** The label that says which run made the lock object (a volume's create-or-get tells ours from another's by it). */
export const LOCK_TOKEN = `${HOLDER}token`
/** The label that marks a lock object (never the project label itself: `down` must not remove a lock a run holds). */
export const LOCK_LABEL = `${LABEL.project}.lock`

export function lockName(project: string): string {
  return `fd-${project}-lock`
}

function lockLabels(project: string, holder: Holder): Record<string, string> {
  const labels: Record<string, string> = {[LOCK_LABEL]: project}
  for (const [k, v] of Object.entries(holder)) labels[`${HOLDER}${k}`] = String(v)
  return labels
}

/** Held by a firedrill of this host that is gone (killed outright): taken over, as the local lock file is. */
export function staleHere(labels: Record<string, string>, host: string, alive: (pid: number) => boolean = processAlive): boolean {
  return labels[`${HOLDER}host`] === host && !alive(Number(labels[`${HOLDER}pid`]))
}

function busy(project: string, labels: Record<string, string>, store: LockStore): ProjectBusyError {
  const h = (k: string) => labels[`${HOLDER}${k}`] ?? '?'
  const name = lockName(project)
  return new ProjectBusyError(
    `topology ${project} is in use by another firedrill (pid ${h('pid')} on ${h('host')}, since ${h('started_at')}: ${h('command')}), as ${store.what} ${name} on its engine says; one drill per topology at a time`,
    [`wait for it to finish; if that firedrill is gone for good: docker -H ${store.where} ${store.removeCommand} ${name}`],
  )
}

/** Take the lock (taking over one this host's dead firedrill left); resolves to its release, rejects naming the holder. */
export async function holdLock(project: string, holder: Holder, store: LockStore, alive: (pid: number) => boolean = processAlive): Promise<() => Promise<void>> {
  const name = lockName(project)
  const labels = lockLabels(project, {...holder, token: `${holder.host}:${holder.pid}:${holder.started_at}`})
  let got = await store.create(name, labels)
  if (!got.created && staleHere(got.labels, String(holder.host), alive)) {
    await store.remove(name)
    got = await store.create(name, labels)
  }
  if (!got.created) throw busy(project, got.labels, store)
  return async () => {
    // Only our own: a lock taken over meanwhile (it cannot be, short of a hand removal) is not ours to drop.
    const now = await store.inspect(name)
    if (now && now[`${HOLDER}token`] === labels[`${HOLDER}token`]) await store.remove(name)
  }
}

/** Refuse when another firedrill holds the lock; take nothing (a runner on the engine's own host, whose lock file is local). */
export async function checkLock(project: string, host: string, store: LockStore, alive: (pid: number) => boolean = processAlive): Promise<void> {
  const labels = await store.inspect(lockName(project))
  if (labels && !staleHere(labels, host, alive)) throw busy(project, labels, store)
}

/** Remove a lock this host's dead firedrill left (cleanup, down); true when one was removed. */
export async function removeStaleLock(project: string, host: string, store: LockStore, alive: (pid: number) => boolean = processAlive): Promise<boolean> {
  const name = lockName(project)
  const labels = await store.inspect(name)
  if (!labels || !staleHere(labels, host, alive)) return false
  await store.remove(name)
  return true
}

export function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}
