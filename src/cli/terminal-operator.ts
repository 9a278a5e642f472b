import {createInterface} from 'node:readline'

import type {Operator} from '../drill/steps.js'

/**
 * The operator at a terminal: a manual step's instructions are printed on `output` and the answer
 * is read from `input` ("done", or "fail" if it could not be done).
 */
export function terminalOperator(name: string, input: NodeJS.ReadableStream = process.stdin, output: NodeJS.WritableStream = process.stderr): Operator {
  return {
    name,
    confirm(step, signal) {
      return new Promise((resolve, reject) => {
        const rl = createInterface({input, output, terminal: Boolean((input as {isTTY?: boolean}).isTTY)})
        let settled = false
        const finish = (fn: () => void) => {
          if (settled) return
          settled = true
          clearTimeout(timer)
          signal?.removeEventListener('abort', onAbort)
          rl.close()
          fn()
        }
        const onAbort = () => finish(() => reject(signal!.reason))
        const timer = setTimeout(() => finish(() => resolve('timed-out')), step.timeoutMs)
        signal?.addEventListener('abort', onAbort, {once: true})
        // readline swallows Ctrl-C on a terminal; hand it to the process, whose handler undoes the drill.
        rl.on('SIGINT', () => process.kill(process.pid, 'SIGINT'))
        rl.on('line', (line) => {
          const answer = line.trim().toLowerCase()
          if (answer === 'done') finish(() => resolve('done'))
          else if (answer === 'fail') finish(() => resolve('failed'))
          else output.write('Type "done" when it is done, or "fail" if it could not be done: ')
        })
        // The terminal went away: nobody can confirm.
        rl.on('close', () => finish(() => resolve('failed')))
        const rule = '─'.repeat(8)
        output.write(
          [
            '',
            `${rule} Manual step ${step.number}/${step.of}: ${step.title} ${rule}`,
            ...(step.instructions ? [step.instructions.trimEnd(), ''] : []),
            `${name}, type "done" when it is done, or "fail" if it could not be done (answer within ${Math.round(step.timeoutMs / 60_000) || 1} min): `,
          ].join('\n'),
        )
      })
    },
  }
}
