import {createServer} from 'node:http'

import {describe, expect, it} from 'vitest'

import {httpRequest} from '../../src/probes/http/client.js'

describe('httpRequest', () => {
  it('a signal already aborted: not sent, and the destroyed request errs into its own handler, not the process', async () => {
    // Before its 'error' handler was attached first, this ended the process with an unhandled 'socket hang up'
    // (a sweep cell whose sample's timeout ran out while the instances were being listed, 2026-12-01).
    const server = createServer((_req, res) => res.end('ok'))
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const port = (server.address() as {port: number}).port
    const unhandled: unknown[] = []
    const onUncaught = (error: unknown) => unhandled.push(error)
    process.on('uncaughtException', onUncaught)
    try {
      const aborted = AbortSignal.abort(new Error('timeout'))
      const answer = await httpRequest({url: new URL(`http://127.0.0.1:${port}/`), method: 'GET'}, aborted)
      expect(answer).toEqual({kind: 'not-sent', error: 'timeout (no connection)'})
      await new Promise((resolve) => setTimeout(resolve, 50))
      expect(unhandled).toEqual([])
      // And a live one still answers.
      expect(await httpRequest({url: new URL(`http://127.0.0.1:${port}/`), method: 'GET'}, new AbortController().signal)).toEqual({kind: 'answered', status: 200, body: 'ok'})
    } finally {
      process.off('uncaughtException', onUncaught)
      server.close()
    }
  })
})
