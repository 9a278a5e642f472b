import {spawnSync} from 'node:child_process'
import {readdirSync, readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {PACKAGE_ROOT} from '../../src/paths.js'
import {firedrill} from '../support/cli.js'
import {labelled, NOTHING, testProject} from '../support/docker.js'
import {embeddedTopologyAs, tempDir} from '../support/files.js'
import {requireTool} from '../support/tools.js'

const LONG = {timeout: 480_000}

describe('the evidence of a real kill-primary run', () => {
  const project = testProject()
  let tmp: ReturnType<typeof tempDir>
  let topology: string
  beforeAll(() => {
    tmp = tempDir()
    topology = tmp.write(`${project}.yaml`, embeddedTopologyAs(project))
  })
  afterAll(async () => {
    await firedrill(['down', '--project', project], LONG)
    tmp.cleanup()
  })

  it('run leaves a signed bundle with every log and inspect document, which verifies, renders, and catches a tamper', async () => {
    const env = {FIREDRILL_HOME: path.join(tmp.dir, 'home')}
    const keys = await firedrill(['keys', 'generate', '--dir', tmp.dir, '--json'])
    const {private_key: key, public_key: pub, keyid} = JSON.parse(keys.stdout)
    // The project trusts its signing key (an untrusted one would be warned about on stderr).
    expect((await firedrill(['keys', 'trust', pub, '--name', 'ops-team'], {env})).exitCode).toBe(0)
    const out = path.join(tmp.dir, 'evidence')
    const started = Date.now()
    const r = await firedrill(
      ['run', 'drills/kill-primary.yaml', '--topology', topology, '--json', '--out', out, '--key', key, '--operator', 'integration test', '--reporter', 'json,junit,markdown,html'],
      {...LONG, env},
    )
    expect(r.stderr).toBe('')
    expect(r.exitCode).toBe(0)
    const result = JSON.parse(r.stdout)
    expect(result.evidence).toMatchObject({dir: out, signed: true, files: expect.any(Number), bytes: expect.any(Number)})
    expect(result.evidence.write_ms).toBeLessThan(5000)
    expect(Date.now() - started).toBeLessThan(300_000)
    // It was not up before, so it is gone after; the logs were taken before it went.
    expect(await labelled(project)).toEqual(NOTHING)

    const files = readdirSync(out, {recursive: true, withFileTypes: true})
      .filter((e) => e.isFile())
      .map((e) => path.relative(out, path.join(e.parentPath, e.name)))
    const logs = files.filter((f) => f.startsWith('logs/'))
    expect(logs.sort()).toEqual(['etcd', 'postgres'].flatMap((s) => ['busan', 'gyeonggi', 'seoul'].map((site) => `logs/fd-${project}-${s}-${site}.log`)).sort())
    expect(files.filter((f) => f.startsWith('inspect/containers/'))).toHaveLength(6)
    expect(files.filter((f) => f.startsWith('inspect/networks/')).sort()).toEqual(['busan', 'gyeonggi', 'seoul', 'wan'].map((n) => `inspect/networks/fd-${project}-${n}.json`))
    // The killed leader's log shows Patroni running before the kill; the new leader's shows the promotion.
    const pgLogs = logs.filter((f) => f.includes('postgres')).map((f) => readFileSync(path.join(out, f), 'utf8')).join('\n')
    expect(pgLogs).toMatch(/promoted self to leader|promote/)
    // No secret survives: the probe's password and the topology's *_PASSWORD values.
    for (const f of files) expect(readFileSync(path.join(out, f)).toString('latin1'), f).not.toMatch(/PASSWORD=firedrill|password: firedrill/)
    const environment = JSON.parse(readFileSync(path.join(out, 'environment.json'), 'utf8'))
    expect(environment).toMatchObject({operator: {name: 'integration test', source: 'flag'}, engine: {apiVersion: expect.any(String)}, images: [{ref: 'firedrill/bank-node:15', id: expect.stringMatching(/^sha256:/)}]})

    const ok = await firedrill(['evidence', 'verify', out, '--pub', pub, '--require-signature'])
    expect(ok.stdout).toContain('INTACT')
    expect(ok.exitCode).toBe(0)
    // Signed by a trusted key, named by it: --require-signature needs no --pub.
    const trusted = await firedrill(['evidence', 'verify', out, '--require-signature'], {env})
    expect(trusted.exitCode).toBe(0)
    expect(trusted.stdout).toContain(`signature: valid (signed by key ${keyid} (ops-team), trusted (project trusted keys))`)
    expect(JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8'))).toMatchObject({keyid, key_name: 'ops-team'})
    // The standard-tools procedure of the bundle's own VERIFY.md, run as it says, on this real bundle.
    const script = path.join(tmp.dir, 'verify-bundle.sh')
    const extract = spawnSync('sh', ['-c', `sed -n '/^\`\`\`sh$/,/^\`\`\`$/p' VERIFY.md | grep -v '^\`\`\`' > ${script}`], {cwd: out, encoding: 'utf8'})
    expect(extract.status).toBe(0)
    const byHand = spawnSync('sh', [script], {cwd: out, encoding: 'utf8', env: {...process.env, PUB: pub}})
    expect(byHand.stdout).toMatch(new RegExp(`^VERIFIED: signed by key ${keyid}; \\d+ files match; \\d+ events chained$`, 'm'))
    expect(byHand.status).toBe(0)

    const xmllint = requireTool('xmllint', 'libxml2-utils')
    const v = spawnSync(xmllint, ['--noout', '--schema', path.join(PACKAGE_ROOT, 'test/fixtures/junit/junit.xsd'), path.join(out, 'reports/junit.xml')], {encoding: 'utf8'})
    expect(v.stderr).toMatch(/validates/)
    expect(readFileSync(path.join(out, 'reports/report.html'), 'utf8')).toMatch(/<div class="verdict pass" id="verdict">PASS<\/div>/)

    const history = await firedrill(['history', '--json'], {env})
    expect(JSON.parse(history.stdout).runs).toEqual([expect.objectContaining({run_id: result.run_id, verdict: 'pass', bundle: out, operator: 'integration test'})])

    const csv = path.join(out, 'samples.csv')
    writeFileSync(csv, readFileSync(csv, 'utf8').replace(',failed,', ',ok,'))
    const bad = await firedrill(['evidence', 'verify', out, '--pub', pub])
    expect(bad.exitCode).toBe(1)
    expect(bad.stdout).toContain('✗ modified: samples.csv')
    const badByHand = spawnSync('sh', [script], {cwd: out, encoding: 'utf8', env: {...process.env, PUB: pub}})
    expect(badByHand.status).not.toBe(0)
    expect(badByHand.stdout).toContain('samples.csv: FAILED')
  })
})
