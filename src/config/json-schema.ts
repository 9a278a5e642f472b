import {z} from 'zod'

import {name} from './common.js'
import {drillJsonSchemaSource, objectivesSchema, policySchema} from './drill.js'
import {probeSchema} from './probe-kinds.js'
import {topologyProbesSchema, topologySchema} from './topology.js'

/** The JSON Schemas published under schemas/ (editors validate drill and topology files with them); `probe:` as the registered probe kinds define it. */
export function jsonSchemas(): Record<string, unknown> {
  const render = (schema: z.ZodType, title: string) => ({
    ...z.toJSONSchema(schema, {io: 'input', unrepresentable: 'any', target: 'draft-2020-12'}),
    title,
  })
  return {
    'topology.schema.json': render(topologySchema.extend({probes: topologyProbesSchema().optional()}), 'firedrill topology'),
    'drill.schema.json': render(
      drillJsonSchemaSource().extend({
        probe: probeSchema().optional(),
        probes: z.record(name('probe name'), probeSchema()).optional(),
        objectives: z.union([objectivesSchema, z.record(name('probe name'), objectivesSchema)]).optional(),
      }),
      'firedrill drill',
    ),
    'policy.schema.json': render(policySchema, 'firedrill resiliency policy'),
  }
}
