// Tests load drills without the CLI: register the probe kinds' schemas as the CLI's base command does
// (schemas only: a test that mocks a client library such as pg still gets its mock in the probe).
import '../../src/probes/schemas.js'
// And the fault kinds' schemas, as the base command registers them.
import '../../src/faults/schemas.js'
