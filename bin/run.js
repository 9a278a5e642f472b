#!/usr/bin/env node
// Start-up is measured (bench/startup.js): the command list comes from oclif.manifest.json (written
// by `npm run build`), so only the command being run is imported; Node's compile cache keeps the
// compiled modules between runs. `--version` alone is answered without loading oclif at all, in
// exactly oclif's words (its userAgent: name/version platform-arch node-version), and so is the root
// help (no arguments, `--help`, `-h` or `help` alone): dist/cli/root-help.js renders it from package.json and the
// manifest, the same module oclif's help class (dist/cli/help.js) renders it with on every other path.
// Node's modules come from process.getBuiltinModule: an ESM import of node:fs builds a facade of all
// its exports first (about 2.5 ms, measured).
const {readFileSync} = process.getBuiltinModule('node:fs')
const {enableCompileCache} = process.getBuiltinModule('node:module')
const {arch, platform, release} = process.getBuiltinModule('node:os')

// A reader that stops early (`firedrill run --help | head`) closes the pipe; that ends the command,
// quietly. Only final output goes to stdout (progress goes to stderr), so nothing is cut short mid-drill.
process.stdout.on('error', (error) => {
  if (error.code !== 'EPIPE') throw error
  process.exit(process.exitCode ?? 0)
})

// `firedrill help [COMMAND...]` is `firedrill [COMMAND...] --help` (as in git, npm, docker); `-h` is a help
// flag like `--help` (package.json oclif.additionalHelpFlags), so `firedrill -h` is the root help too.
const argv = process.argv[2] === 'help' ? [...process.argv.slice(3), '--help'] : process.argv.slice(2)
// oclif names other platforms differently (wsl, win32 paths...): those go through oclif.
const nameable = ['linux', 'darwin'].includes(platform()) && !/microsoft/i.test(release())
const rootHelp = argv.length === 0 || (argv.length === 1 && (argv[0] === '--help' || argv[0] === '-h'))
let answer
if (nameable && (rootHelp || (argv.length === 1 && argv[0] === '--version'))) {
  const pjson = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
  const userAgent = `${pjson.name}/${pjson.version} ${platform()}-${arch() === 'ia32' ? 'x86' : arch()} node-${process.version}`
  if (rootHelp) {
    const {helpColor, helpWidth, renderRootHelp, rootHelpContentFromFiles} = await import('../dist/cli/root-help.js')
    const content = rootHelpContentFromFiles(pjson, new URL('../oclif.manifest.json', import.meta.url), userAgent)
    answer = content && renderRootHelp(content, {width: helpWidth(), color: helpColor()})
  } else {
    answer = `${userAgent}\n`
  }
}
if (answer === undefined) {
  enableCompileCache?.()
  const {execute} = await import('@oclif/core/execute')
  await execute({args: argv, dir: import.meta.url})
  // The command is over. Anything still holding the event loop now (a connection to a node that never
  // answers, say) must not keep a terminal or a CI job waiting: say what, as the bug it is, and exit.
  setTimeout(() => {
    process.stderr.write(`firedrill: the command finished but still had open handles 5 s later (${process.getActiveResourcesInfo().join(', ')}); exiting. This is a bug in firedrill; please report it.\n`)
    process.exit()
  }, 5000).unref()
} else {
  process.stdout.write(answer)
}
