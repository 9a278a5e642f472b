import {InterruptedError} from '../errors.js'

/**
 * Run `fn` with a signal that aborts on Ctrl-C or SIGTERM, so the work can stop injecting and undo
 * what it did instead of the process dying mid-change. The abort reason is an InterruptedError
 * (exit 130 or 143), which is what this rethrows once `fn` has unwound.
 */
export async function interruptible<T>(fn: (signal: AbortSignal) => Promise<T>, onSignal: (message: string) => void = () => {}): Promise<T> {
  const controller = new AbortController()
  const handler = (signal: 'SIGINT' | 'SIGTERM') => () => {
    if (controller.signal.aborted) {
      onSignal(`${signal} again: still restoring what was changed; please wait`)
      return
    }
    onSignal(`${signal} received: stopping and undoing what was changed`)
    controller.abort(new InterruptedError(signal))
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
