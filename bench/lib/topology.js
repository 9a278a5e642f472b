// Benchmark topologies: the embedded bank-3site under a project name of the benchmark's own, so a
// benchmark never touches bank-3site or anyone else's project, and leaves the machine as it found it.
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {cli, json, ROOT} from './common.js'

const EMBEDDED = `${ROOT}fixtures/topologies/bank-3site/topology.yaml`

/** A scratch directory holding input files and FIREDRILL_HOME (evidence bundles, history); removed by cleanup(). */
export function scratch(prefix) {
  const dir = mkdtempSync(path.join(os.tmpdir(), `${prefix}-`))
  return {
    dir,
    home: path.join(dir, 'home'),
    write(name, text) {
      const file = path.join(dir, name)
      writeFileSync(file, text)
      return file
    },
    cleanup: () => rmSync(dir, {recursive: true, force: true}),
  }
}

/** The embedded topology's text as project `project`, build context absolute; `edit` may change more. */
export function embeddedAs(project, edit = (t) => t) {
  const text = readFileSync(EMBEDDED, 'utf8')
    .replace(/^name: bank-3site$/m, `name: ${project}`)
    .replaceAll('context: ./image', `context: ${path.join(path.dirname(EMBEDDED), 'image')}`)
  return edit(text)
}

/** Bring a topology up unless it is; returns a function that leaves it as it was found. */
export function ensureUp(topologyFile, env) {
  const status = json(cli(['status', '--topology', topologyFile, '--json'], {env}), 'status')
  const wasUp = status.instances.some((i) => i.state !== 'absent')
  const up = cli(['up', '--topology', topologyFile, '--json', '--build-arg', 'BASE_IMAGE=firedrill/debian-base:bookworm'], {env})
  const body = json(up, 'up')
  if (up.status !== 0) throw new Error(`up failed: ${JSON.stringify(body)}`)
  return {
    up: body,
    restore: () => {
      if (!wasUp) cli(['down', '--topology', topologyFile, '--json'], {env})
    },
  }
}

/** The container currently leading the postgres cluster. */
export function leaderContainer(topologyFile, env) {
  const status = json(cli(['status', '--topology', topologyFile, '--json'], {env}), 'status')
  const leader = status.instances.find((i) => i.service === 'postgres' && i.role === 'leader')
  if (!leader) throw new Error(`no postgres leader: ${JSON.stringify(status.problems)}`)
  return leader.container
}
