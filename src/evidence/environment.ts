import {execFileSync} from 'node:child_process'
import {readFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {PACKAGE_ROOT} from '../paths.js'
import type {EngineInfo} from '../model/result.js'
import type {Environment} from '../model/evidence.js'

export type {Environment} from '../model/evidence.js'


export function firedrillVersion(): string {
  try {
    return (JSON.parse(readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as {version: string}).version
  } catch {
    return 'unknown'
  }
}

export function operatorOf(flag: string | undefined): Environment['operator'] {
  if (flag) return {name: flag, source: 'flag'}
  let name = process.env.SUDO_USER || process.env.LOGNAME || process.env.USER || ''
  if (!name) {
    try {
      name = os.userInfo().username
    } catch {
      name = 'unknown'
    }
  }
  return {name, source: 'login'}
}

export function hostInfo(): Environment['host'] {
  return {hostname: os.hostname(), platform: os.platform(), release: os.release(), arch: os.arch()}
}

/** The commit of the git repository holding `file`, and whether that file has uncommitted changes; null outside a repository. */
export function gitCommitOf(file: string): Environment['git'] {
  const dir = path.dirname(file)
  const git = (args: string[]) => execFileSync('git', ['-C', dir, ...args], {encoding: 'utf8', timeout: 5000, stdio: ['ignore', 'pipe', 'ignore']}).trim()
  try {
    const root = git(['rev-parse', '--show-toplevel'])
    const commit = git(['rev-parse', 'HEAD'])
    const dirty = git(['status', '--porcelain', '--', file]) !== ''
    return {root, commit, dirty}
  } catch {
    return null
  }
}
