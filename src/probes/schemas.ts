import {registerProbeSchema} from '../config/probe-kinds.js'
import {mysqlWriteCapabilities, mysqlWriteSchema} from './mysql/schema.js'
import {postgresWriteCapabilities, postgresWriteSchema} from './postgres/schema.js'
import {redisWriteCapabilities, redisWriteSchema} from './redis/schema.js'
import {commandCapabilities, commandSchema} from './command/schema.js'
import {httpCapabilities, httpMeasures, httpSchema} from './http/schema.js'
import {tcpCapabilities, tcpSchema} from './tcp/schema.js'

/**
 * The built-in probe kinds' schemas, registered without loading their implementations (or their
 * client libraries): all the drill loader needs. src/probes/registry.ts imports this and registers
 * the kinds' factories alongside.
 */
registerProbeSchema(postgresWriteSchema.shape.kind.value, postgresWriteSchema, postgresWriteCapabilities)
registerProbeSchema(mysqlWriteSchema.shape.kind.value, mysqlWriteSchema, mysqlWriteCapabilities)
registerProbeSchema(redisWriteSchema.shape.kind.value, redisWriteSchema, redisWriteCapabilities)
registerProbeSchema(httpSchema.shape.kind.value, httpSchema, httpCapabilities, httpMeasures)
registerProbeSchema(tcpSchema.shape.kind.value, tcpSchema, tcpCapabilities)
registerProbeSchema(commandSchema.shape.kind.value, commandSchema, commandCapabilities)
