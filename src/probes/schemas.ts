import {registerProbeSchema} from '../config/probe-kinds.js'
import {postgresWriteCapabilities, postgresWriteSchema} from './postgres/schema.js'

/**
 * The built-in probe kinds' schemas, registered without loading their implementations (or their
 * client libraries): all the drill loader needs. src/probes/registry.ts imports this and registers
 * the kinds' factories alongside.
 */
registerProbeSchema(postgresWriteSchema.shape.kind.value, postgresWriteSchema, postgresWriteCapabilities)
