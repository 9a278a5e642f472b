import {InterruptedError} from '../errors.js'

export interface InterruptOptions {
  /** Where the messages about signals go (stderr in the CLI). */
  onSignal?: (message: string) => void
  /**
   * A third signal gives up restoring: say exactly what is left and how to clean it. The process then
   * exits at once (130 or 143) without waiting for the reverts still running.
   */
  onAbandon?: () => string
}

/**
 * Run `fn` with a signal that aborts on Ctrl-C or SIGTERM, so the work can stop injecting and undo
 * what it did instead of the process dying mid-change. The abort reason is an InterruptedError
 * (exit 130 or 143), which is what this rethrows once `fn` has unwound. A second signal says it is
 * still restoring; a third abandons (see `onAbandon`).
 */
export async function interruptible<T>(fn: (signal: AbortSignal) => Promise<T>, opts: InterruptOptions | ((message: string) => void) = {}): Promise<T> {
  const {onSignal = () => {}, onAbandon} = typeof opts === 'function' ? {onSignal: opts} : opts
  const controller = new AbortController()
  let count = 0
  const handler = (signal: 'SIGINT' | 'SIGTERM') => () => {
    count++
    if (count === 1) {
      onSignal(`${signal} received: stopping and undoing what was changed`)
      controller.abort(new InterruptedError(signal))
    } else if (count === 2 || !onAbandon) {
      onSignal(`${signal} again: still restoring what was changed; ${onAbandon ? 'once more to abandon and leave it as it is' : 'please wait'}`)
    } else {
      onSignal(`${signal} a third time: abandoning the restore. ${onAbandon()}`)
      process.exit(new InterruptedError(signal).exitCode)
    }
  }
  const onInt = handler('SIGINT')
  const onTerm = handler('SIGTERM')
  process.on('SIGINT', onInt)
  process.on('SIGTERM', onTerm)
  try {
    return await fn(controller.signal)
  } catch (error) {
    throw controller.signal.aborted ? controller.signal.reason : error
  } finally {
    process.off('SIGINT', onInt)
    process.off('SIGTERM', onTerm)
  }
}
