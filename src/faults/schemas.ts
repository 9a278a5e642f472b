import {registerFaultSchema} from '../config/fault-kinds.js'
import {degradeSchema} from './degrade.js'
import {diskFullSchema} from './disk-full.js'
import {isolateSchema} from './isolate.js'
import {hostPowerCutSchema, killSchema, pauseSchema, powerCutSchema, restartSchema, stopSchema} from './kill.js'
import {partitionSchema} from './partition.js'
import {processKillSchema} from './process-kill.js'

/**
 * Every fault kind's schema, each declared in the module that implements the kind, registered for the
 * drill loader (config sits below faults, so it takes them from here). The CLI's base command and the
 * runner (through src/faults/catalog.ts) import this; so does the tests' setup file.
 */
for (const schema of [killSchema, stopSchema, pauseSchema, restartSchema, powerCutSchema, hostPowerCutSchema, isolateSchema, processKillSchema, diskFullSchema, partitionSchema, degradeSchema]) {
  registerFaultSchema(schema)
}
