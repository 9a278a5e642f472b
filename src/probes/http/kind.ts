import type {ProbeKind} from '../probe.js'
import {HttpProbe} from './probe.js'
import {httpCapabilities, httpMeasures, httpSchema} from './schema.js'

/** HTTP: a check (status, body) → RTO, impact; with write + read, an application-level RPO as well. */
export const httpKind: ProbeKind<typeof httpSchema> = {
  kind: 'http',
  schema: httpSchema,
  capabilities: httpCapabilities,
  measures: httpMeasures,
  create: (spec, ctx) => new HttpProbe(spec, ctx.runId, () => ctx.nodes(spec.vantage), ctx.clock),
}
