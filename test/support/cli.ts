import {tmpdir} from 'node:os'
import path from 'node:path'

import {execa} from 'execa'

import {PACKAGE_ROOT} from '../../src/paths.js'

export const BIN = path.join(PACKAGE_ROOT, 'bin', 'run.js')

/** Runs write evidence and history under FIREDRILL_HOME: in tests, a scratch directory rather than the checkout's .firedrill. */
export const TEST_HOME = path.join(tmpdir(), 'firedrill-test-home')

/**
 * Locks and crash journals are machine-wide; a test file keeps its own, so that a drill a person runs
 * on this machine meanwhile (or another test run) never makes a test see a busy topology.
 */
export const SCRATCH = {
  FIREDRILL_HOME: TEST_HOME,
  FIREDRILL_LOCK_DIR: path.join(TEST_HOME, `locks-${process.pid}`),
  FIREDRILL_STATE_DIR: path.join(TEST_HOME, `state-${process.pid}`),
  // The user's trusted keys (~/.config/firedrill/trusted-keys) must neither change a test's verdict nor be written by one.
  XDG_CONFIG_HOME: path.join(TEST_HOME, `config-${process.pid}`),
}

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
    env: {...SCRATCH, ...opts.env},
    timeout: opts.timeout ?? 30_000,
    cwd: PACKAGE_ROOT,
  })
  return {exitCode: r.exitCode, stdout: String(r.stdout), stderr: String(r.stderr)}
}

/** A Docker endpoint that does not exist: proves a command never reached the engine, or that it handles an engine that is gone. */
export const NO_ENGINE = {DOCKER_HOST: 'unix:///nonexistent/firedrill-test.sock'}

/** Start the CLI, wait until its stderr shows `marker`, then send `signal`; resolves with how it ended. */
export async function firedrillInterrupted(args: string[], marker: RegExp, signal: NodeJS.Signals, timeout = 300_000): Promise<CliResult> {
  const child = execa('node', [BIN, ...args], {reject: false, stdin: 'ignore', forceKillAfterDelay: false, timeout, cwd: PACKAGE_ROOT, env: SCRATCH})
  let seen = ''
  await new Promise<void>((resolve, reject) => {
    child.stderr!.on('data', (chunk: Buffer) => {
      seen += chunk.toString()
      if (marker.test(seen)) resolve()
    })
    void child.then(() => reject(new Error(`exited before showing ${marker}:\n${seen}`)))
  })
  child.kill(signal)
  const r = await child
  return {exitCode: r.exitCode, stdout: String(r.stdout), stderr: seen + String(r.stderr)}
}

/** Start the CLI, wait until its stderr shows `marker`, then send each signal in turn, 20 ms apart. */
export async function firedrillSignalled(args: string[], marker: RegExp, signals: NodeJS.Signals[], timeout = 300_000): Promise<CliResult> {
  const child = execa('node', [BIN, ...args], {reject: false, stdin: 'ignore', forceKillAfterDelay: false, timeout, cwd: PACKAGE_ROOT, env: SCRATCH})
  let seen = ''
  child.stderr!.on('data', (chunk: Buffer) => (seen += chunk.toString()))
  await new Promise<void>((resolve, reject) => {
    const timer = setInterval(() => marker.test(seen) && (clearInterval(timer), resolve()), 20)
    void child.then(() => (clearInterval(timer), reject(new Error(`exited before showing ${marker}:\n${seen}`))))
  })
  for (const signal of signals) {
    child.kill(signal)
    await new Promise((r) => setTimeout(r, 20))
  }
  const r = await child
  return {exitCode: r.exitCode, stdout: String(r.stdout), stderr: seen}
}

/** Start the CLI, wait until its stderr shows `marker`, then do `meanwhile` (cut its engine, say); resolves with how it ended. */
export async function firedrillMeanwhile(
  args: string[],
  marker: RegExp,
  meanwhile: () => Promise<void>,
  opts: {env?: Record<string, string>; timeout?: number} = {},
): Promise<CliResult> {
  const child = execa('node', [BIN, ...args], {reject: false, stdin: 'ignore', forceKillAfterDelay: false, timeout: opts.timeout ?? 300_000, cwd: PACKAGE_ROOT, env: {...SCRATCH, ...opts.env}})
  let seen = ''
  child.stderr!.on('data', (chunk: Buffer) => (seen += chunk.toString()))
  await new Promise<void>((resolve, reject) => {
    const timer = setInterval(() => marker.test(seen) && (clearInterval(timer), resolve()), 20)
    void child.then(() => (clearInterval(timer), reject(new Error(`exited before showing ${marker}:\n${seen}`))))
  })
  await meanwhile()
  const r = await child
  return {exitCode: r.exitCode, stdout: String(r.stdout), stderr: seen}
}
