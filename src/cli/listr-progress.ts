import {Listr, ListrLogger, PRESET_TIMER, ProcessOutput} from 'listr2'

import type {Progress} from '../util/progress.js'

const PLAIN_UPDATE_MS = 1000

export type ProgressMode = 'silent' | 'plain' | 'live'

/** One progress display, three audiences: silent under --json, plain lines in CI or without a TTY, live in a terminal. */
export function progressMode(opts: {json: boolean; ci: boolean}): ProgressMode {
  if (opts.json) return 'silent'
  if (opts.ci || process.env.CI || !process.stderr.isTTY) return 'plain'
  return 'live'
}

/** Progress on stderr, so stdout carries only the result (a table, or JSON). */
export function listrProgress(mode: ProgressMode): Progress {
  const output = new ProcessOutput(process.stderr, process.stderr)
  const logger = new ListrLogger({processOutput: output})
  return {
    async phase(title, fn) {
      let value: Awaited<ReturnType<typeof fn>> | undefined
      // A phase that fails shows `✖ <title>` and hands its error on unchanged: whoever catches it reports it
      // once (the command's error, a run's timeline), instead of listr printing the message here as well.
      let failure: {error: unknown} | undefined
      const plainLines = () => mode === 'plain' || list.rendererSelection === 'SECONDARY'
      const list = new Listr(
        [
          {
            title,
            task: async (_ctx, task) => {
              let lastShown = 0
              try {
                value = await fn((message) => {
                  // Plain logs get at most one status line per second; a terminal redraws in place.
                  if (mode === 'plain') {
                    const now = performance.now()
                    if (now - lastShown < PLAIN_UPDATE_MS || message === task.output) return
                    lastShown = now
                  }
                  task.output = message
                })
              } catch (error) {
                failure = {error}
                // The simple renderer writes `✖ <title> [FAILED: <message>]`, and nothing for an empty
                // message: plain mode marks the phase itself below; the live renderer shows the message alone.
                throw new Error(plainLines() ? '' : title)
              }
            },
          },
        ],
        {
          renderer: mode === 'silent' ? 'silent' : mode === 'plain' ? 'simple' : 'default',
          rendererOptions: {logger, timer: PRESET_TIMER, ...(mode === 'live' ? {outputBar: 1, persistentOutput: false} : {})},
          // listr2 falls back to plain lines when stdout is no terminal (`firedrill run … > result.txt`):
          // those go to stderr too, never into the result.
          fallbackRenderer: 'simple',
          fallbackRendererOptions: {logger, timer: PRESET_TIMER},
          exitOnError: true,
          registerSignalListeners: false,
          collectErrors: false,
        } as never,
      )
      try {
        await list.run()
      } catch (error) {
        if (failure && plainLines()) logger.log('FAILED', title)
        throw failure ? failure.error : error
      }
      return value as Awaited<ReturnType<typeof fn>>
    },
    log(message) {
      if (mode !== 'silent') process.stderr.write(`${message}\n`)
    },
  }
}
