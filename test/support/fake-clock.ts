import type {Clock} from '../../src/util/time.js'

/**
 * A clock that runs on virtual time as fast as the code under test lets it: whenever the event loop
 * has nothing else to do (setImmediate), it jumps to the earliest pending sleep and wakes it. Only
 * for code whose every other wait resolves by itself (fakes in memory, no sockets, no real timers).
 */
export class FakeClock implements Clock {
  private t = 0
  private readonly sleepers: {at: number; seq: number; wake: () => void}[] = []
  private seq = 0
  private pumping = false

  now(): number {
    return this.t
  }

  wall(ms: number): string {
    return new Date(Date.UTC(2026, 11, 1, 9, 0, 0) + ms).toISOString()
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason)
      const sleeper = {
        at: this.t + Math.max(0, ms),
        seq: this.seq++,
        wake: () => {
          signal?.removeEventListener('abort', onAbort)
          resolve()
        },
      }
      const onAbort = () => {
        this.sleepers.splice(this.sleepers.indexOf(sleeper), 1)
        reject(signal?.reason)
      }
      signal?.addEventListener('abort', onAbort, {once: true})
      this.sleepers.push(sleeper)
      this.pump()
    })
  }

  private pump(): void {
    if (this.pumping) return
    this.pumping = true
    setImmediate(() => {
      this.pumping = false
      if (this.sleepers.length === 0) return
      this.sleepers.sort((a, b) => a.at - b.at || a.seq - b.seq)
      const next = this.sleepers.shift()!
      this.t = Math.max(this.t, next.at)
      next.wake()
      if (this.sleepers.length > 0) this.pump()
    })
  }
}
