import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {DEFAULT_TOPOLOGY} from '../../src/paths.js'

/** A temporary directory for input files, removed by the returned cleanup. */
export function tempDir(): {dir: string; write: (name: string, text: string) => string; cleanup: () => void} {
  const dir = mkdtempSync(path.join(tmpdir(), 'firedrill-test-'))
  return {
    dir,
    write: (name, text) => {
      const file = path.join(dir, name)
      writeFileSync(file, text)
      return file
    },
    cleanup: () => rmSync(dir, {recursive: true, force: true}),
  }
}

/** The embedded topology's text under another project name, with its build context made absolute. */
export function embeddedTopologyAs(project: string): string {
  const context = path.join(path.dirname(DEFAULT_TOPOLOGY), 'image')
  return readFileSync(DEFAULT_TOPOLOGY, 'utf8')
    .replace(/^name: bank-3site$/m, `name: ${project}`)
    .replaceAll('context: ./image', `context: ${context}`)
}

export const MINIMAL_DRILL = `name: kill-primary
objectives:
  rto: 30s
  rpo: 0s
probe:
  kind: postgres-write
  service: postgres
  password: firedrill
steps:
  - sleep: 1s
  - fault: kill
    target: {service: postgres, role: leader}
  - wait: recovered
    timeout: 60s
`
