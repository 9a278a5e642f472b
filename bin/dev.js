#!/usr/bin/env node
// Development entry: same as run.js, with oclif's development mode (full stack traces).
// Build first (`npm run build`); the commands are loaded from dist/.
import {execute} from '@oclif/core'

await execute({development: true, dir: import.meta.url})
