import {existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {keyValueFlags as pairs} from '../../cli/key-value-flags.js'
import {loadTopology} from '../../config/load-topology.js'
import {YamlSource} from '../../config/yaml-source.js'
import {ConfigError, EnvironmentError, formatConfigIssue} from '../../errors.js'
import {importCompose, renderTopology, type ImportWarning, type TopologyDocument} from '../../topology/compose-import.js'

export default class ImportCompose extends BaseCommand<typeof ImportCompose> {
  static override summary = 'Write a topology from a docker-compose file.'
  static override description = `Each compose service runs on one site, from (first that applies): --site SERVICE=SITE, the label io.firedrill.site, the service's x-firedrill: {site: SITE}, the top-level x-firedrill: {sites: {SITE: {services: [...]}}}. Services that differ only by site (api-seoul, api-busan; or the same x-firedrill.service / io.firedrill.service) become one service with sites: and per_site: (env, command and ports that differ). Site roles come from x-firedrill: {sites: {SITE: {role}}}; without them the first site is primary and the others standby. \${NAME} in the file takes its value from --env NAME=VALUE or its own default, never from your environment. What a topology cannot express (deploy, secrets, configs, depends_on, host networking, bind mounts, privileged, extra networks...) is listed as a warning on stderr (and under --json), never dropped silently. The topology is checked as firedrill validate checks it before it is written. Needs no Docker engine.

Exit codes:
0    the topology was written (warnings, if any, on stderr)
2    the compose file cannot be imported (file:line:column and field of each problem), or --out exists without --force`
  static override examples = [
    '<%= config.bin %> import compose docker-compose.yml --out topology.yaml',
    '<%= config.bin %> import compose compose.yml --site api-1=seoul --site api-2=busan --name payments --env DB_PASSWORD=secret',
  ]
  static override args = {
    file: Args.string({description: 'The docker-compose file.', required: true}),
  }
  static override flags = {
    site: Flags.string({description: 'Put compose service SERVICE on site SITE (repeatable); wins over labels and x-firedrill.', helpValue: 'SERVICE=SITE', multiple: true, default: []}),
    out: Flags.string({char: 'o', description: 'Write the topology here instead of printing it (build contexts become relative to it).'}),
    force: Flags.boolean({description: 'Overwrite --out if it exists.', dependsOn: ['out']}),
    name: Flags.string({description: 'The topology\'s name (default: x-firedrill.name, compose\'s name:, or the file\'s directory).'}),
    env: Flags.string({description: 'A value for ${NAME} in the compose file (repeatable); your environment is never read.', helpValue: 'NAME=VALUE', multiple: true, default: []}),
  }

  async run(): Promise<{file: string | null; topology: TopologyDocument; warnings: ImportWarning[]}> {
    const {args} = await this.parse(ImportCompose)
    const input = path.resolve(args.file)
    const out = this.flags.out ? path.resolve(this.flags.out) : undefined
    if (out && existsSync(out) && !this.flags.force) {
      throw new EnvironmentError(`${out} exists; firedrill import compose does not overwrite it`, [`firedrill import compose ${args.file} --out ${this.flags.out} --force`])
    }
    const source = YamlSource.read(input, {merge: true})
    const result = importCompose(source, {
      sites: pairs(this.flags.site, '--site', 'SERVICE=SITE', input),
      env: pairs(this.flags.env, '--env', 'NAME=VALUE', input),
      name: this.flags.name,
      outDir: out ? path.dirname(out) : undefined,
    })
    const text = renderTopology(result, {file: input, sha256: source.sha256})
    writeChecked(text, out, input)
    for (const w of result.warnings) process.stderr.write(`warn  ${formatConfigIssue(w)}\n`)
    if (out) {
      const t = result.topology
      this.log(`Wrote ${out}: topology ${t.name}, ${Object.keys(t.sites).length} site(s), ${Object.keys(t.services).length} service(s), ${result.warnings.length} warning(s).`)
      this.log(`Check it with: firedrill validate ${this.flags.out}; bring it up with: firedrill up --topology ${this.flags.out}`)
    } else if (!this.jsonEnabled()) {
      process.stdout.write(text)
    }
    return {file: out ?? null, topology: result.topology, warnings: result.warnings}
  }
}

/**
 * Load the topology as `firedrill validate` would before it goes anywhere: written next to `out` (so
 * relative build contexts resolve) and renamed into place only when it loads; without `out`, in a
 * scratch directory that is removed.
 */
function writeChecked(text: string, out: string | undefined, input: string): void {
  const dir = out ? path.dirname(out) : mkdtempSync(path.join(tmpdir(), 'firedrill-import-'))
  const created = out ? mkdirSync(dir, {recursive: true}) : undefined
  const scratch = path.join(dir, `.${path.basename(out ?? 'topology.yaml')}.${process.pid}.tmp`)
  let written = false
  try {
    writeFileSync(scratch, text, {mode: 0o644})
    try {
      loadTopology(scratch)
    } catch (error) {
      if (error instanceof ConfigError) {
        throw new ConfigError(
          error.issues.map((i) => ({...i, file: input, line: undefined, column: undefined, message: `the imported topology does not validate: ${i.message}`})),
          ['fix the compose file (or the settings named above) and import it again'],
        )
      }
      throw error
    }
    if (out) renameSync(scratch, out)
    written = true
  } finally {
    rmSync(out ? scratch : dir, {recursive: true, force: true})
    // directories made for an --out that was never written go too
    if (created && !written) rmSync(created, {recursive: true, force: true})
  }
}
