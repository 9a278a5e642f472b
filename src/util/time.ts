/** An injectable clock: monotonic milliseconds for measuring, wall time for the record. */
export interface Clock {
  /** Monotonic milliseconds; only differences mean anything. */
  now(): number
  /** Wall-clock time for a monotonic reading, as an ISO-8601 UTC string. */
  wall(monotonicMs: number): string
  sleep(ms: number, signal?: AbortSignal): Promise<void>
}

export const systemClock: Clock = {
  now: () => performance.now(),
  wall: (ms) => new Date(performance.timeOrigin + ms).toISOString(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason)
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort)
        resolve()
      }, Math.max(0, ms))
      const onAbort = () => {
        clearTimeout(timer)
        reject(signal!.reason)
      }
      signal?.addEventListener('abort', onAbort, {once: true})
    }),
}

/** Poll `check` until it returns a value or the deadline passes; returns undefined on timeout. */
export async function pollUntil<T>(
  check: () => Promise<T | undefined>,
  opts: {timeoutMs: number; intervalMs: number; clock?: Clock; signal?: AbortSignal},
): Promise<T | undefined> {
  const clock = opts.clock ?? systemClock
  const deadline = clock.now() + opts.timeoutMs
  for (;;) {
    const started = clock.now()
    const value = await check()
    if (value !== undefined) return value
    if (clock.now() >= deadline) return undefined
    await clock.sleep(Math.min(opts.intervalMs - (clock.now() - started), deadline - clock.now()), opts.signal)
  }
}

/**
 * Call `tick` every `intervalMs` on the clock's grid (as setInterval does, but through the injected
 * clock) until `signal` aborts; a tick is not awaited. Resolves once stopped.
 */
export async function every(clock: Clock, intervalMs: number, tick: () => void, signal: AbortSignal): Promise<void> {
  let next = clock.now() + intervalMs
  while (!signal.aborted) {
    try {
      await clock.sleep(Math.max(0, next - clock.now()), signal)
    } catch {
      return
    }
    tick()
    next += intervalMs
    // Far behind (a stalled event loop): skip the ticks missed instead of firing them in a burst.
    if (clock.now() - next > intervalMs) next = clock.now() + intervalMs
  }
}

/** Race `promise` against the clock: rejects with `onTimeout()` after `ms`; the wait is cancelled once the promise settles. */
export async function withClockTimeout<T>(clock: Clock, promise: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  const cancel = new AbortController()
  const timeout = clock.sleep(ms, cancel.signal).then(
    () => {
      throw onTimeout()
    },
    () => new Promise<never>(() => {}),
  )
  try {
    return await Promise.race([promise, timeout])
  } finally {
    cancel.abort()
  }
}

/** The longest delay a Node.js timer keeps (2^31 - 1 ms, about 24.8 days); given more, it fires after 1 ms. */
export const MAX_TIMER_MS = 2 ** 31 - 1
