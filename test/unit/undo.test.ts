import {describe, expect, it, vi} from 'vitest'

import {killFault, pauseFault} from '../../src/faults/kill.js'
import {applyUndo, undoRecord, type UndoEngine} from '../../src/faults/undo.js'

/** An engine whose every call fails with `message` (as dockerode words it), recording what it was asked. */
function failingEngine(message: string) {
  const fail = vi.fn(async () => {
    throw new Error(message)
  })
  return {startContainer: fail, unpauseContainer: fail, connect: fail, disconnect: fail, exec: fail, killContainer: vi.fn(async () => {}), pauseContainer: vi.fn(async () => {}), calls: fail}
}

const app = [{id: 'c1', name: 'fd-p-app-east'}]

describe('one function applies an undo record: strict for the runner, tolerant for cleanup', () => {
  it('tolerant (cleanup after a crash): a container already started or gone counts as restored', async () => {
    await expect(applyUndo(undoRecord.start(app), failingEngine('(HTTP code 304) container already started') as unknown as UndoEngine, 'tolerant')).resolves.toEqual([
      'fd-p-app-east: already restored ((HTTP code 304) container already started)',
    ])
    await expect(applyUndo(undoRecord.unpause(app), failingEngine('No such container: c1') as unknown as UndoEngine, 'tolerant')).resolves.toHaveLength(1)
  })

  it('strict (the runner reverting its own fault): the same answer fails the revert, naming the container', async () => {
    await expect(applyUndo(undoRecord.start(app), failingEngine('No such container: c1') as unknown as UndoEngine, 'strict')).rejects.toThrow(
      'could not start fd-p-app-east: No such container: c1',
    )
  })

  it('an error that is no "already" fails in both modes', async () => {
    for (const mode of ['strict', 'tolerant'] as const) {
      await expect(applyUndo(undoRecord.start(app), failingEngine('cannot start: out of memory') as unknown as UndoEngine, mode)).rejects.toThrow(/could not start fd-p-app-east: cannot start: out of memory/)
    }
  })

  it("a fault's own revert applies its undo record strictly: a kill whose container cannot start is reported as failed", async () => {
    const engine = failingEngine('No such container: c1')
    const injected = await killFault(engine as unknown as Parameters<typeof killFault>[0], app, 'SIGKILL').inject()
    await expect(injected.revert!.run()).rejects.toThrow('could not start fd-p-app-east: No such container: c1')
    expect(engine.calls).toHaveBeenCalledWith('c1')
    const paused = await pauseFault(failingEngine('container c1 is not paused') as unknown as Parameters<typeof pauseFault>[0], app).inject()
    await expect(paused.revert!.run()).rejects.toThrow(/could not unpause fd-p-app-east: container c1 is not paused/)
  })

  it('a record is data: what the journal stores is what the revert applies', async () => {
    const started: string[] = []
    const engine = {startContainer: async (id: string) => void started.push(id)} as unknown as UndoEngine
    const record = JSON.parse(JSON.stringify(undoRecord.start([{id: 'c1', name: 'a'}, {id: 'c2', name: 'b'}])))
    await expect(applyUndo(record, engine, 'strict')).resolves.toEqual(['started a', 'started b'])
    expect(started).toEqual(['c1', 'c2'])
  })
})
