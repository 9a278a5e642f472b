#!/usr/bin/env node
// Writes oclif.manifest.json (what `oclif manifest` writes) after the build, so that the CLI lists
// commands, their flags and summaries without importing every command module (and dockerode, pg,
// zod...) on each start: `firedrill --help` reads the manifest, and a command run loads only itself.
// Part of `npm run build`; the file is generated, never committed (a stale one would hide commands).
import {writeFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'

import {Plugin} from '@oclif/core/config'

const root = fileURLToPath(new URL('..', import.meta.url))
const plugin = new Plugin({root, type: 'core', ignoreManifest: true, errorOnManifestCreate: true, respectNoCacheDefault: true})
await plugin.load()
writeFileSync(new URL('../oclif.manifest.json', import.meta.url), `${JSON.stringify(plugin.manifest, null, 2)}\n`)
console.log(`oclif.manifest.json: ${Object.keys(plugin.manifest.commands).length} commands`)
