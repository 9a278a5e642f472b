import {z} from 'zod'

import {drillJsonSchemaSource, policySchema} from './drill.js'
import {topologySchema} from './topology.js'

/** The JSON Schemas published under schemas/ (editors validate drill and topology files with them). */
export function jsonSchemas(): Record<string, unknown> {
  const render = (schema: z.ZodType, title: string) => ({
    ...z.toJSONSchema(schema, {io: 'input', unrepresentable: 'any', target: 'draft-2020-12'}),
    title,
  })
  return {
    'topology.schema.json': render(topologySchema, 'firedrill topology'),
    'drill.schema.json': render(drillJsonSchemaSource, 'firedrill drill'),
    'policy.schema.json': render(policySchema, 'firedrill resiliency policy'),
  }
}
