import path from 'node:path'

/** Where firedrill keeps runs and history: $FIREDRILL_HOME, default .firedrill in the working directory. */
export function firedrillHome(env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(env.FIREDRILL_HOME || '.firedrill')
}

export function runsDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(firedrillHome(env), 'runs')
}

export function historyDbPath(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(firedrillHome(env), 'history.sqlite')
}
