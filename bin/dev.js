#!/usr/bin/env node
// Development entry: same as run.js, with oclif's development mode (full stack traces).
// Build first (`npm run build`); the commands are loaded from dist/.
import {execute} from '@oclif/core'

// `firedrill help [COMMAND...]` is `firedrill [COMMAND...] --help`, as in bin/run.js.
const argv = process.argv[2] === 'help' ? [...process.argv.slice(3), '--help'] : process.argv.slice(2)
await execute({args: argv, development: true, dir: import.meta.url})
