import {z} from 'zod'

import type {FaultFields, FaultSpec} from '../model/fault-spec.js'
import {FAULT_KINDS, type FaultKind} from '../model/vocabulary.js'
import {name} from './common.js'
import {targetSchema} from './target.js'

/**
 * The schema of a fault step. Kinds are not listed here: each fault kind declares its schema in the
 * module that implements it (src/faults/<kind>.ts) and src/faults/schemas.ts registers them, as the
 * probe kinds do (config sits below faults, so it cannot import them). A step is validated against
 * the kinds registered then: the fields every step has (fault, name, target, revert), each kind's own
 * fields, the kind's checks field by field (each message names its field), then the step is narrowed
 * to its member of the union on `fault:` (FaultSpec), so nothing downstream asserts.
 */
export interface FaultKindSchema<K extends FaultKind = FaultKind> {
  kind: K
  /** The fields it takes besides the common ones. A field several kinds take is declared by each with the same schema. */
  fields?: z.ZodRawShape
  /**
   * Fields no other kind takes: on a step of another kind each is refused at its field with `message`
   * (default "FIELD only applies to KIND"), before its target is looked at, or once it has one (`afterTarget`).
   */
  only?: {fields: readonly (keyof FaultFields)[]; message?: (field: string, fault: FaultKind) => string; afterTarget?: boolean}
  /** Whether the step names a target (every kind but partition, which names groups of sites). */
  target: 'required' | 'none'
  /**
   * `revert: false` leaves the fault as it made it when the drill ends (a killed primary stays down for
   * the drill's own runbook steps to rebuild as a standby). `true` for a kind where that means something;
   * otherwise why it does not, and `revert: false` is refused at its field with that reason.
   */
  leaveable: true | string
  /** Its checks of a step of its kind (the target, when required, is there). */
  check?: (step: FaultFields, ctx: z.RefinementCtx) => void
  /** The member of the union a checked step of its kind is, or undefined when it lacks what the kind needs. */
  narrow: (step: FaultFields) => FaultSpec | undefined
}

const kinds = new Map<FaultKind, FaultKindSchema>()
let composed: z.ZodType<FaultSpec, unknown> | undefined

/** Called by src/faults/schemas.ts for each kind; returns how to remove it again (a test's own). */
export function registerFaultSchema<K extends FaultKind>(schema: FaultKindSchema<K>): () => void {
  kinds.set(schema.kind, schema as unknown as FaultKindSchema)
  composed = undefined
  return () => {
    kinds.delete(schema.kind)
    composed = undefined
  }
}

/** The kinds registered now, in the order of FAULT_KINDS. */
export function faultKindSchemas(): FaultKindSchema[] {
  return FAULT_KINDS.flatMap((k) => kinds.get(k) ?? [])
}

/** The schema of a fault step, from the kinds registered now. */
export function faultStepSchema(): z.ZodType<FaultSpec, unknown> {
  if (composed) return composed
  const registered = faultKindSchemas()
  if (registered.length === 0) throw new Error('no fault kind is registered: import src/faults/schemas.js before loading drills')
  const names = registered.map((k) => k.kind)
  // A field's default is the kind's own: in the flat shape every field is optional (its default kept for
  // the JSON schema only), so a field another kind takes can be told apart from one this step was given
  // and refused there, and the defaults of the step's own kind are filled in once it is checked.
  const fields: Record<string, z.ZodType> = {}
  for (const k of registered) {
    for (const [field, schema] of Object.entries(k.fields ?? {})) {
      fields[field] = schema instanceof z.ZodDefault ? (schema.unwrap() as z.ZodType).optional().meta({default: schema.def.defaultValue}) : (schema as z.ZodType)
    }
  }
  const onlyOf = new Set(registered.flatMap((k) => k.only?.fields ?? []))
  const takenBy = (field: string) => registered.filter((k) => k.fields && field in k.fields).map((k) => k.kind)
  const flat = z.strictObject({
    fault: z.enum(names as [FaultKind, ...FaultKind[]], {error: `unknown fault kind; known kinds: ${names.join(', ')}`}),
    /** Names the fault for a later `heal` step. Default: the fault kind and its step number. */
    name: name('fault name').optional(),
    /** Which containers the fault acts on (every fault but partition, which names groups of sites). */
    target: targetSchema.optional(),
    ...fields,
    /**
     * Whether the fault is undone when the drill ends (kill: start again; isolate: reconnect; pause: thaw).
     * false leaves it as the fault made it, on purpose: the timeline and the result say so, the run does
     * not wait for it to be healthy again, and `cleanup` after a crash leaves it too. Only where it means
     * something (each kind's `leaveable`).
     */
    revert: z.boolean().default(true),
  })
  const misplaced = (step: FaultFields, ctx: z.RefinementCtx, afterTarget: boolean) => {
    for (const k of registered) {
      if (k.kind === step.fault || !k.only || (k.only.afterTarget ?? false) !== afterTarget) continue
      for (const field of k.only.fields) {
        if (step[field] === undefined) continue
        ctx.addIssue({code: 'custom', path: [field], message: k.only.message?.(field, step.fault) ?? `${field} only applies to ${k.kind}`})
      }
    }
  }
  composed = flat
    .superRefine((raw, ctx) => {
      const step = raw as FaultFields
      const own = kinds.get(step.fault)
      if (!own) return
      misplaced(step, ctx, false)
      for (const field of Object.keys(fields)) {
        if (step[field as keyof FaultFields] === undefined || onlyOf.has(field as keyof FaultFields) || (own.fields && field in own.fields)) continue
        ctx.addIssue({code: 'custom', path: [field], message: `${field} does not apply to ${step.fault}; it is a field of ${takenBy(field).join(', ')}`})
      }
      if (!step.revert && own.leaveable !== true) ctx.addIssue({code: 'custom', path: ['revert'], message: `revert: false has no meaning for ${step.fault}: ${own.leaveable}`})
      if (own.target === 'required' && step.target === undefined) {
        ctx.addIssue({code: 'custom', path: ['target'], message: `${step.fault} needs a target, e.g. target: {service: postgres, role: leader}`})
        return
      }
      own.check?.(step, ctx)
      if (own.target === 'none') return
      misplaced(step, ctx, true)
    })
    .transform((raw, ctx): FaultSpec => {
      const given = raw as FaultFields
      const own = kinds.get(given.fault)
      const defaults = Object.entries(own?.fields ?? {}).filter(([field, schema]) => given[field as keyof FaultFields] === undefined && schema instanceof z.ZodDefault)
      const step = {...given, ...Object.fromEntries(defaults.map(([field, schema]) => [field, (schema as z.ZodType).parse(undefined)]))} as FaultFields
      const spec = own?.narrow(step)
      if (spec) return spec
      ctx.addIssue({code: 'custom', message: `${step.fault}: the step lacks what its kind needs`})
      return z.NEVER
    })
  return composed
}
