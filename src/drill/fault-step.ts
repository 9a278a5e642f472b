import {NETWORK_FAULTS, type FaultStep} from '../config/drill.js'
import {DrillAbortedError} from '../errors.js'
import {buildFault, undoSpecOf} from '../faults/catalog.js'
import type {Injected} from '../faults/fault.js'
import {describeSelector, isRunning, selectTargets} from '../faults/targets.js'
import {observe} from '../topology/observe.js'
import {engineOfSite} from '../model/topology.js'
import type {StepContext} from './step-context.js'

// A fault step's bookkeeping: its targets now, the crash journal before the engine is asked, the
// timeline, the fault record, and the revert pushed (marking the journal when it runs).

export async function injectFault(step: FaultStep, index: number, ctx: StepContext, update: (message: string) => void): Promise<void> {
  const seen = await observe(ctx.topology, ctx.engine)
  // A partition acts on every running container of the sites its groups name; other faults on their target.
  // A host power cut on every running container of every site on the target site's engine.
  const hostOf = step.fault === 'host-power-cut' ? engineOfSite(ctx.topology, step.target.site) : undefined
  const targets =
    step.fault === 'partition'
      ? seen.instances.filter(isRunning).filter((o) => step.groups.some((g) => g.includes(o.instance.site)))
      : hostOf !== undefined
        ? seen.instances.filter(isRunning).filter((o) => engineOfSite(ctx.topology, o.instance.site) === hostOf)
        : selectTargets(step.target, seen.instances)
  if (targets.length === 0) throw new DrillAbortedError(`step ${index + 1}: no running container matches ${step.target ? describeSelector(step.target) : 'the partition groups'} now`)
  if (NETWORK_FAULTS.includes(step.fault) && !ctx.netHelpers) throw new DrillAbortedError(`step ${index + 1}: ${step.fault} needs the network helpers, which this run did not prepare`)
  const faultName = step.name ?? `${step.fault}-${index + 1}`
  const net = ctx.netHelpers ? {helpers: ctx.netHelpers, observed: seen.instances, note: (text: string) => void ctx.timeline.record('revert', `${faultName}: ${text}`)} : undefined
  const fault = buildFault(step, targets, ctx.topology, ctx.engine, () => ctx.clock.now(), net)
  update(fault.description)
  // Durably, before the engine is asked: a runner killed from here on leaves a record cleanup can undo.
  const undo = undoSpecOf(step, targets, ctx.topology)
  const seq = undo.kind === 'none' ? undefined : ctx.journal?.intend({fault: step.fault, name: faultName, description: fault.description, undo})
  const at = ctx.timeline.record('fault', fault.description)
  ctx.anchor.at ??= at
  let injected: Injected
  try {
    injected = await fault.inject()
  } catch (error) {
    // Each fault undoes a half-done injection itself before it throws.
    if (seq !== undefined) ctx.journal?.mark(seq, 'reverted')
    throw error
  }
  if (seq !== undefined) ctx.journal?.mark(seq, 'injected')
  const done = ctx.timeline.record('fault-done', `${fault.description}: engine call returned${injected.detail ? `; ${injected.detail}` : ''}`)
  if (ctx.anchor.at === at) ctx.anchor.settled ??= done
  // revert: false (validation allows it only where it means something): the fault stays as it made it,
  // on purpose, for the drill's own steps (a runbook rebuilding the old primary as a standby). Said on
  // the timeline and in the result; no revert is pushed and the journal holds nothing for cleanup.
  const left = injected.revert && !step.revert ? `left as the fault made it, on purpose (revert: false): "${injected.revert.description}" is not done, by this run or by cleanup` : undefined
  if (left) {
    ctx.timeline.record('fault-done', `${faultName}: ${left}`)
    for (const t of targets) ctx.leftDown?.add(t.container.name)
  }
  const detail = [injected.detail, left].filter((d) => d !== undefined).join('; ') || null
  ctx.faults?.push({step: index, name: step.name ?? `${step.fault}-${index + 1}`, kind: step.fault, description: fault.description, detail, mechanism: injected.mechanism ?? null})
  if (injected.revert && step.revert) {
    const revert = injected.revert
    ctx.reverts.push({
      ...revert,
      name: faultName,
      run: async () => {
        await revert.run()
        if (seq !== undefined) ctx.journal?.mark(seq, 'reverted')
      },
    })
  } else if (seq !== undefined) {
    ctx.journal?.mark(seq, 'reverted')
  }
}
