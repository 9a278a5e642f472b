import {execFileSync} from 'node:child_process'
import {existsSync, mkdirSync, readdirSync} from 'node:fs'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {DockerEngine} from '../../src/engine/docker.js'
import {projectFilter} from '../../src/engine/labels.js'
import {firedrill, SCRATCH} from '../support/cli.js'
import {labelled, NOTHING, testProject} from '../support/docker.js'
import {tempDir, tinyPauseDrill, tinyPostgresTopology} from '../support/files.js'

const LONG = {timeout: 180_000}

describe('a disk that fills up while the bundle is written', () => {
  const project = testProject()
  const engine = new DockerEngine()
  let tmp: ReturnType<typeof tempDir>
  let topology: string
  let drill: string
  let full: string
  beforeAll(async () => {
    tmp = tempDir()
    topology = tmp.write(`${project}.yaml`, tinyPostgresTopology(project))
    drill = tmp.write('pause.yaml', tinyPauseDrill('pause-db', topology))
    // 32 KiB: enough for any check before the drill, too small for its bundle (about 15 files, 50 KiB).
    full = path.join(tmp.dir, 'full')
    mkdirSync(full)
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=32k', 'tmpfs', full])
    const up = await firedrill(['up', '--topology', topology, '--ci'], LONG)
    expect(up.exitCode, up.stderr).toBe(0)
  }, 180_000)
  afterAll(async () => {
    execFileSync('umount', [full])
    const down = await firedrill(['down', '--project', project], LONG)
    expect(down.exitCode).toBe(0)
    expect(await labelled(project)).toEqual(NOTHING)
    engine.close()
    tmp.cleanup()
  }, 180_000)

  it('exit 4 naming ENOSPC, the path and the remedy; no bundle, no temp file, no history entry; faults reverted, topology healthy', async () => {
    const home = path.join(tmp.dir, 'home')
    const out = path.join(full, 'evidence')
    const r = await firedrill(['run', drill, '--ci', '--out', out, '--reporter', 'table,junit,markdown,html'], {...LONG, env: {FIREDRILL_HOME: home}})
    expect(r.stderr).toContain(`Error: could not write the evidence bundle ${out}: ENOSPC: no space left on device, write; nothing was left there\n`)
    expect(r.stderr).toMatch(/The drill pause-db itself ran to the end and its faults were reverted, but run \S+ is not on record \(no bundle, no history entry\) and counts as not run; its unrecorded figures: RTO [\d.]+ s ± 100 ms, RPO 0 ms \(0 lost\), which would have been PASS\.\n/)
    expect(r.stderr).toContain(`Try this:\n  free space on the file system holding ${full} (df -h ${full}), or write the evidence elsewhere (--out DIR, or FIREDRILL_HOME), then run the drill again`)
    expect(r.exitCode).toBe(4)
    // A run that left no evidence prints no verdict: nothing on stdout that a pipeline could take for a pass.
    expect(r.stdout).toBe('')
    expect(readdirSync(full, {recursive: true})).toEqual([])
    const history = await firedrill(['history', '--json'], {env: {FIREDRILL_HOME: home}})
    expect(JSON.parse(history.stdout).runs).toEqual([])

    // The pause was undone before the evidence was written, and nothing of the run is left in place.
    expect(r.stderr).toMatch(/unpause fd-\S+-postgres-east/)
    const [db] = await engine.listContainers(projectFilter(project))
    expect(db).toMatchObject({state: 'running', health: 'healthy'})
    expect(existsSync(path.join(SCRATCH.FIREDRILL_STATE_DIR, `${project}.journal.json`))).toBe(false)
    expect(existsSync(path.join(SCRATCH.FIREDRILL_LOCK_DIR, `${project}.lock`))).toBe(false)
    const status = await firedrill(['status', '--topology', topology, '--json'])
    expect(JSON.parse(status.stdout)).toMatchObject({healthy: true})

    // With room for it, the same drill on the same topology passes and leaves its bundle there.
    execFileSync('mount', ['-o', 'remount,size=4m', full])
    const again = await firedrill(['run', drill, '--ci', '--out', out], {...LONG, env: {FIREDRILL_HOME: home}})
    expect(again.exitCode, again.stderr).toBe(0)
    expect(readdirSync(out)).toContain('manifest.json')
  })
})
