import {execFileSync} from 'node:child_process'

/** A tool the tests need (installed by scripts/setup.sh): its path, or a failure that says how to get it. Never a skip. */
export function requireTool(name: string, pkg: string): string {
  try {
    return execFileSync('sh', ['-c', `command -v ${name}`], {encoding: 'utf8'}).trim()
  } catch {
    throw new Error(`${name} is not installed; scripts/setup.sh installs it (apt-get install -y ${pkg})`)
  }
}
