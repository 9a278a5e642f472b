/**
 * Work through `items` at most `slots` at a time. Each item is handed a slot number (1..slots) that no
 * other running item holds, so work that owns a resource per slot (a copy of a topology) finds it
 * free. Results come back in the order of `items`, whatever order they finished in.
 *
 * After the first failure no new item starts; those already running are waited for (they are not
 * cut short: each ends its own way, reverting what it changed), then the first failure is thrown.
 * (p-limit and its kin cap concurrency but neither number the slots nor stop starting on a failure.)
 */
export async function inSlots<T, R>(items: readonly T[], slots: number, work: (item: T, slot: number, index: number) => Promise<R>): Promise<R[]> {
  if (!Number.isInteger(slots) || slots < 1) throw new RangeError(`slots must be a whole number of at least 1, not ${slots}`)
  const results: R[] = new Array<R>(items.length)
  let next = 0
  let failure: {error: unknown} | undefined
  const worker = async (slot: number): Promise<void> => {
    while (failure === undefined && next < items.length) {
      const index = next++
      try {
        results[index] = await work(items[index]!, slot, index)
      } catch (error) {
        failure ??= {error}
      }
    }
  }
  await Promise.all(Array.from({length: Math.min(slots, items.length)}, (_, i) => worker(i + 1)))
  if (failure) throw failure.error
  return results
}

/** A queue of one: each call runs after the previous one has settled (bring-ups that must not starve each other). */
export function oneAtATime(): <T>(fn: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve()
  return <T>(fn: () => Promise<T>): Promise<T> => {
    const run = tail.then(fn, fn)
    tail = run.catch(() => {})
    return run
  }
}
