import {readdirSync, readFileSync} from 'node:fs'
import path from 'node:path'
import {gunzipSync} from 'node:zlib'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {REDACTED} from '../../src/evidence/redact.js'
import {firedrill, type CliResult} from '../support/cli.js'
import {labelled, NOTHING, testProject} from '../support/docker.js'
import {tempDir, tinyPauseDrill, tinyPostgresTopology} from '../support/files.js'

const LONG = {timeout: 180_000}

/** A password with characters that URL-encoding and base64 change. */
const SECRET = 'S3cr3t+Pw/42=Zx'
const SPELLINGS = {raw: SECRET, 'url-encoded': encodeURIComponent(SECRET), base64: Buffer.from(SECRET).toString('base64')}

/** The secret used everywhere a drill can carry one: the probe, a DSN on a runbook's command line, a secret-named variable, a command's output. */
const EXTRA_STEPS = `  - runbook: log in with the application's connection string
    argv: [psql, "postgresql://postgres:${encodeURIComponent(SECRET)}@127.0.0.1/postgres", -c, "select 1"]
    in: {service: postgres}
  - assert: the application password is set
    argv: [printenv, DB_PASSWORD]
    in: {service: postgres}
    expect: {stdout: .+}
  - wait: command
    argv: [env, "PGPASSWORD=${SECRET}", psql, -h, 127.0.0.1, -U, postgres, -c, "select 1"]
    in: {service: postgres}
    timeout: 30s
  - manual: Confirm the application logs in
    ci:
      argv: [env, "PGPASSWORD=${SECRET}", psql, -h, 127.0.0.1, -U, postgres, -c, "select 1"]
      in: {service: postgres}
`

function filesUnder(dir: string): string[] {
  return readdirSync(dir, {recursive: true, withFileTypes: true})
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name))
}

/** Every spelling of the secret found in `bytes`, and in every base64 run inside it, decoded. */
function leaks(bytes: Buffer): string[] {
  const text = bytes.toString('latin1')
  const found = Object.entries(SPELLINGS).filter(([, s]) => text.includes(s)).map(([name]) => name)
  for (const run of text.match(/[A-Za-z0-9+/]{24,}={0,2}/g) ?? []) {
    if (Buffer.from(run, 'base64').toString('latin1').includes(SECRET)) found.push('inside a base64 payload')
  }
  return found
}

describe('a secret declared in a drill and its topology', () => {
  const project = testProject()
  let tmp: ReturnType<typeof tempDir>
  beforeAll(() => {
    tmp = tempDir()
  })
  afterAll(async () => {
    await firedrill(['down', '--project', project], LONG)
    tmp.cleanup()
  }, 180_000)

  it('appears nowhere: not in the bundle, its reports, the packed tarball, the history, nor anything printed', async () => {
    const topology = tmp.write(`${project}.yaml`, tinyPostgresTopology(project, {password: SECRET}))
    const drill = tmp.write('secret.yaml', tinyPauseDrill('secret-db', topology, {password: SECRET, extraSteps: EXTRA_STEPS}))
    const home = path.join(tmp.dir, 'home')
    const env = {FIREDRILL_HOME: home}
    const printed: [string, CliResult][] = []
    const cli = async (args: string[]) => {
      const r = await firedrill(args, {...LONG, env})
      printed.push([args.slice(0, 2).join(' '), r])
      return r
    }
    const {private_key: key, public_key: pub} = JSON.parse((await cli(['keys', 'generate', '--dir', tmp.dir, '--json'])).stdout)
    const out = path.join(tmp.dir, 'evidence')
    const run = await cli(['run', drill, '--ci', '--out', out, '--key', key, '--reporter', 'table,json,junit,markdown,html'])
    expect(run.exitCode, run.stderr).toBe(0)
    expect(JSON.parse(run.stdout)).toMatchObject({drill: 'secret-db', verdict: 'pass', evidence: {dir: out, signed: true}})
    expect(await labelled(project)).toEqual(NOTHING)
    // The same run seen through every other door: its table, re-rendered reports, the history, a packed copy.
    const reports = path.join(tmp.dir, 'reports')
    expect((await cli(['report', out, '--reporter', 'table,json,junit,markdown,html', '--out', reports, '--pub', pub])).exitCode).toBe(0)
    expect((await cli(['report', out, '--reporter', 'table'])).exitCode).toBe(0)
    expect((await cli(['history', '--json'])).exitCode).toBe(0)
    expect((await cli(['history'])).exitCode).toBe(0)
    const packed = await cli(['evidence', 'pack', out, '--out', path.join(tmp.dir, 'evidence.tar.gz'), '--json'])
    expect(JSON.parse(packed.stdout)).toMatchObject({packed: true, ok: true})
    const verified = await cli(['evidence', 'verify', out, '--pub', pub, '--require-signature'])
    expect(verified.exitCode).toBe(0)

    const found: Record<string, string[]> = {}
    const check = (where: string, bytes: Buffer) => {
      const l = leaks(bytes)
      if (l.length > 0) found[where] = l
    }
    const bundleFiles = filesUnder(out)
    expect(bundleFiles.length).toBeGreaterThan(12)
    for (const f of [...bundleFiles, ...filesUnder(reports), ...filesUnder(home)]) check(f, readFileSync(f))
    // The tarball decompressed is every file's bytes one after another, headers between.
    const tar = gunzipSync(readFileSync(path.join(tmp.dir, 'evidence.tar.gz')))
    expect(tar.toString('latin1')).toContain('app DSN is postgresql://postgres:')
    check('evidence.tar.gz, decompressed', tar)
    for (const [command, r] of printed) {
      check(`${command} stdout`, Buffer.from(r.stdout))
      check(`${command} stderr`, Buffer.from(r.stderr))
    }
    expect(found).toEqual({})

    // And it was there to find: every place it would have been says redacted.
    const read = (f: string) => readFileSync(path.join(out, f), 'utf8')
    expect(read(`logs/fd-${project}-postgres-east.log`)).toContain(`app DSN is postgresql://postgres:${REDACTED}@postgres-east/postgres`)
    expect(read('inputs/drill.yaml')).toContain(`postgresql://postgres:${REDACTED}@127.0.0.1/postgres`)
    expect(read('inputs/drill.yaml')).toContain(`"PGPASSWORD=${REDACTED}"`)
    expect(read('inputs/topology.yaml')).toContain(`DB_PASSWORD: "${REDACTED}"`)
    expect(JSON.parse(read(`inspect/containers/fd-${project}-postgres-east.json`)).Config.Env).toContain(`DB_PASSWORD=${REDACTED}`)
    expect(JSON.parse(read('result.json')).results).toContainEqual(expect.objectContaining({objective: 'assert: the application password is set', met: true, measured: `exit 0, output "${REDACTED}"`}))
    expect(run.stderr).toContain(`env PGPASSWORD=${REDACTED} psql -h 127.0.0.1 -U postgres -c select 1`)
  })
})
