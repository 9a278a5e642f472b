#!/usr/bin/env node
// Writes the JSON Schemas of the topology and drill files to schemas/ from the zod schemas in dist/.
// `npm run schemas` after changing src/config; a unit test fails when the committed files are stale.
import {writeFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'

import {jsonSchemas} from '../dist/config/json-schema.js'
// The probe kinds register their schemas (the drill's probe: block) on import.
import '../dist/probes/registry.js'
// So do the fault kinds (each fault step's fields).
import '../dist/faults/schemas.js'

const dir = fileURLToPath(new URL('../schemas/', import.meta.url))
for (const [file, schema] of Object.entries(jsonSchemas())) {
  writeFileSync(dir + file, `${JSON.stringify(schema, null, 2)}\n`)
  console.log(`wrote schemas/${file}`)
}
