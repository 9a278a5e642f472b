#!/usr/bin/env node
// Start-up is measured (bench/startup.js): the command list comes from oclif.manifest.json (written
// by `npm run build`), so only the command being run is imported; Node's compile cache keeps the
// compiled modules between runs; `--version` alone is answered without loading oclif at all, in
// exactly oclif's words (its userAgent: name/version platform-arch node-version).
import {readFileSync} from 'node:fs'
import {enableCompileCache} from 'node:module'
import {arch, platform, release} from 'node:os'

if (process.argv.length === 3 && process.argv[2] === '--version' && ['linux', 'darwin'].includes(platform()) && !/microsoft/i.test(release())) {
  const pjson = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
  process.stdout.write(`${pjson.name}/${pjson.version} ${platform()}-${arch() === 'ia32' ? 'x86' : arch()} node-${process.version}\n`)
} else {
  enableCompileCache?.()
  const {execute} = await import('@oclif/core/execute')
  await execute({dir: import.meta.url})
  // The command is over. Anything still holding the event loop now (a connection to a node that never
  // answers, say) must not keep a terminal or a CI job waiting: say what, as the bug it is, and exit.
  setTimeout(() => {
    process.stderr.write(`firedrill: the command finished but still had open handles 5 s later (${process.getActiveResourcesInfo().join(', ')}); exiting. This is a bug in firedrill; please report it.\n`)
    process.exit()
  }, 5000).unref()
}
