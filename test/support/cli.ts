import path from 'node:path'

import {execa} from 'execa'

import {PACKAGE_ROOT} from '../../src/paths.js'

export const BIN = path.join(PACKAGE_ROOT, 'bin', 'run.js')

/** Run the built CLI as a user would: no TTY, no stdin, exit code and both streams kept. */
export interface CliResult {
  exitCode: number | undefined
  stdout: string
  stderr: string
}

export async function firedrill(args: string[], opts: {env?: Record<string, string>; timeout?: number} = {}): Promise<CliResult> {
  const r = await execa('node', [BIN, ...args], {
    reject: false,
    stdin: 'ignore',
    env: {...opts.env},
    timeout: opts.timeout ?? 30_000,
    cwd: PACKAGE_ROOT,
  })
  return {exitCode: r.exitCode, stdout: String(r.stdout), stderr: String(r.stderr)}
}

/** A Docker endpoint that does not exist: proves a command never reached the engine, or that it handles an engine that is gone. */
export const NO_ENGINE = {DOCKER_HOST: 'unix:///nonexistent/firedrill-test.sock'}
