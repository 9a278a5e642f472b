import {execFileSync} from 'node:child_process'
import {existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {gunzipSync, gzipSync} from 'node:zlib'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {writeFileAtomic, type FileWriter} from '../../src/util/atomic.js'
import {ATTESTATION, EvidenceWriteError, MANIFEST} from '../../src/evidence/bundle.js'
import {chainEvents, verifyChain} from '../../src/evidence/chain.js'
import {parseSamplesCsv, samplesCsv} from '../../src/evidence/csv.js'
import {packBundle} from '../../src/evidence/pack.js'
import {recordEvidence} from '../../src/evidence/record.js'
import {evidenceForRun} from '../../src/evidence/run-evidence.js'
import {Redactor, REDACTED} from '../../src/evidence/redact.js'
import {generateSigningKey, loadPublicKey, loadSigningKey, type DsseEnvelope} from '../../src/evidence/signing.js'
import {packTarGz, unpackTarGz} from '../../src/evidence/tar.js'
import {openBundle, verifyBundle} from '../../src/evidence/verify.js'
import {fakeEvidenceEngine, fixtureResult, SECRET_TOKEN, shippedDrill} from '../support/evidence.js'
import {rawTarGz} from '../support/hostile-tar.js'

let tmp: string
beforeEach(() => {
  tmp = mkdtempSync(path.join(tmpdir(), 'firedrill-evidence-'))
})
afterEach(() => rmSync(tmp, {recursive: true, force: true}))

const keyPair = () => {
  const k = generateSigningKey()
  return {key: loadSigningKey(k.privatePem)!, pub: loadPublicKey(k.publicPem), keyid: k.keyid}
}

async function makeBundle(opts: {signed?: boolean; name?: string} = {}) {
  const kp = keyPair()
  const dir = path.join(tmp, opts.name ?? 'run')
  const rec = await recordEvidence(shippedDrill(), fixtureResult(), fakeEvidenceEngine(), {
    dir,
    operator: 'J. Kim',
    key: opts.signed === false ? undefined : kp.key,
    reporters: ['junit', 'markdown', 'html'],
  })
  return {dir, rec, ...kp}
}

function filesIn(dir: string): string[] {
  return readdirSync(dir, {recursive: true, withFileTypes: true})
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .sort()
}

const verify = (dir: string, pub?: ReturnType<typeof loadPublicKey>) => verifyBundle(openBundle(dir), {trustedKey: pub})

describe('an evidence bundle', () => {
  it('holds every part the issue lists, and verifies intact against the signer key', async () => {
    const {dir, rec, pub, keyid} = await makeBundle()
    const files = filesIn(dir)
    for (const f of [
      'result.json',
      'samples.csv',
      'events.jsonl',
      'environment.json',
      'manifest.json',
      'attestation.dsse.json',
      'signer.pub.pem',
      'inputs/drill.yaml',
      'inputs/topology.yaml',
      'logs/fd-bank-3site-postgres-seoul.log',
      'logs/fd-bank-3site-etcd-seoul.log',
      'inspect/containers/fd-bank-3site-postgres-seoul.json',
      'inspect/networks/fd-bank-3site-wan.json',
      'reports/junit.xml',
      'reports/report.md',
      'reports/report.html',
    ]) {
      expect(files).toContain(f)
    }
    expect(rec).toMatchObject({signed: true, keyid, files: files.length})
    const ok = verify(dir, pub)
    expect(ok.problems).toEqual([])
    expect(ok).toMatchObject({ok: true, run_id: fixtureResult().run_id, drill: 'kill-primary', verdict: 'pass', signature: {state: 'valid', keyid}})
    // Without --pub the key shipped in the bundle is used, and the report says so.
    expect(verify(dir).signature.state).toBe('untrusted')

    const env = JSON.parse(readFileSync(path.join(dir, 'environment.json'), 'utf8'))
    expect(env).toMatchObject({operator: {name: 'J. Kim', source: 'flag'}, firedrill: {version: expect.any(String)}, images: [{ref: 'firedrill/bank-node:15', id: expect.stringMatching(/^sha256:/)}]})
    expect(env.inputs.map((i: {role: string}) => i.role)).toEqual(['drill', 'topology'])
    expect(env.inputs[0].sha256).toBe(shippedDrill().drill.sha256)
    expect(env.git?.commit ?? null).toSatisfy((c: string | null) => c === null || /^[0-9a-f]{40}$/.test(c))
    expect(parseSamplesCsv(readFileSync(path.join(dir, 'samples.csv'), 'utf8'))).toEqual(fixtureResult().samples)
    const statement = JSON.parse(Buffer.from((JSON.parse(readFileSync(path.join(dir, ATTESTATION), 'utf8')) as DsseEnvelope).payload, 'base64').toString())
    expect(statement).toMatchObject({_type: 'https://in-toto.io/Statement/v1', subject: [{name: 'manifest.json', digest: {sha256: expect.stringMatching(/^[0-9a-f]{64}$/)}}, {name: 'SHA256SUMS', digest: {sha256: expect.stringMatching(/^[0-9a-f]{64}$/)}}]})
  })

  it('redacts every secret value: declared, secret-named variables, in logs, inspect output and the inputs', async () => {
    const {dir} = await makeBundle()
    for (const f of filesIn(dir)) {
      const text = readFileSync(path.join(dir, f), 'utf8')
      expect(text, f).not.toContain(SECRET_TOKEN)
      expect(text, f).not.toMatch(/password[=: ]+firedrill/i)
    }
    expect(readFileSync(path.join(dir, 'inputs/drill.yaml'), 'utf8')).toContain(`password: ${REDACTED}`)
    expect(readFileSync(path.join(dir, 'logs/fd-bank-3site-postgres-seoul.log'), 'utf8')).toContain(`password=${REDACTED}`)
    // Names that merely contain the word are left alone.
    expect(readFileSync(path.join(dir, 'inputs/topology.yaml'), 'utf8')).toContain('firedrill/bank-node:15')
  })

  it('an unsigned bundle verifies and says it is unsigned; --require-signature fails it', async () => {
    const {dir, rec} = await makeBundle({signed: false})
    expect(rec.signed).toBe(false)
    expect(rec.warnings.join()).toMatch(/UNSIGNED/)
    const r = verify(dir)
    expect(r).toMatchObject({ok: true, signature: {state: 'unsigned'}})
    expect(r.signature.detail).toMatch(/UNSIGNED/)
    const strict = verifyBundle(openBundle(dir), {requireSignature: true})
    expect(strict.ok).toBe(false)
    expect(strict.problems).toContain('unsigned: a signature by a trusted key is required, and this bundle carries none')
  })
})

describe('evidence verify names every tampering', () => {
  it('one byte of samples.csv changed', async () => {
    const {dir, pub} = await makeBundle()
    const file = path.join(dir, 'samples.csv')
    const bytes = readFileSync(file)
    bytes[bytes.length - 3] = bytes[bytes.length - 3]! ^ 1
    writeFileSync(file, bytes)
    const r = verify(dir, pub)
    expect(r.ok).toBe(false)
    expect(r.problems).toEqual(['modified: samples.csv'])
  })

  it('a log deleted', async () => {
    const {dir, pub} = await makeBundle()
    unlinkSync(path.join(dir, 'logs/fd-bank-3site-etcd-seoul.log'))
    expect(verify(dir, pub).problems).toEqual(['missing: logs/fd-bank-3site-etcd-seoul.log'])
  })

  it('a file added', async () => {
    const {dir, pub} = await makeBundle()
    writeFileSync(path.join(dir, 'logs', 'extra.log'), 'planted\n')
    expect(verify(dir, pub).problems).toEqual(['added: logs/extra.log'])
  })

  it('events reordered: the file and the broken link named', async () => {
    const {dir, pub} = await makeBundle()
    const file = path.join(dir, 'events.jsonl')
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n')
    ;[lines[3], lines[4]] = [lines[4]!, lines[3]!]
    writeFileSync(file, `${lines.join('\n')}\n`)
    const r = verify(dir, pub)
    expect(r.problems).toContain('modified: events.jsonl')
    expect(r.problems).toContain('hash chain broken: events.jsonl line 4 does not carry the hash of the line before it')
    expect(r.chain.ok).toBe(false)
  })

  it('the signature swapped for one over another bundle', async () => {
    const a = await makeBundle({name: 'a'})
    const b = await makeBundle({name: 'b'})
    const envA = JSON.parse(readFileSync(path.join(a.dir, ATTESTATION), 'utf8')) as DsseEnvelope
    const envB = JSON.parse(readFileSync(path.join(b.dir, ATTESTATION), 'utf8')) as DsseEnvelope
    envA.signatures = envB.signatures
    writeFileSync(path.join(a.dir, ATTESTATION), JSON.stringify(envA))
    const r = verify(a.dir, a.pub)
    expect(r.ok).toBe(false)
    expect(r.signature.state).toBe('invalid')
    expect(r.problems.join('\n')).toMatch(/^bad signature: attestation\.dsse\.json is not signed by key [0-9a-f]{16}… \(--pub\)$/m)
  })

  it('a bundle re-signed by someone else fails against the real signer key', async () => {
    const {dir} = await makeBundle()
    const other = keyPair()
    expect(verify(dir, other.pub).problems.join()).toMatch(/bad signature/)
  })

  it('a file and the manifest both rewritten: the signed statement no longer matches', async () => {
    const {dir, pub} = await makeBundle()
    writeFileSync(path.join(dir, 'samples.csv'), 'seq,start_ms,end_ms,outcome,node,error\n')
    const manifest = JSON.parse(readFileSync(path.join(dir, MANIFEST), 'utf8'))
    const {createHash} = await import('node:crypto')
    const entry = manifest.files.find((f: {path: string}) => f.path === 'samples.csv')
    entry.sha256 = createHash('sha256').update(readFileSync(path.join(dir, 'samples.csv'))).digest('hex')
    entry.bytes = readFileSync(path.join(dir, 'samples.csv')).length
    writeFileSync(path.join(dir, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`)
    expect(verify(dir, pub).problems).toEqual(['modified: manifest.json does not match the digest in the signed statement', "modified: SHA256SUMS does not list the manifest's digests"])
  })

  it('the signature stripped from a signed bundle', async () => {
    const {dir} = await makeBundle()
    const env = JSON.parse(readFileSync(path.join(dir, ATTESTATION), 'utf8')) as DsseEnvelope
    env.signatures = []
    writeFileSync(path.join(dir, ATTESTATION), JSON.stringify(env))
    expect(verify(dir).problems).toContain('signature removed: the manifest says the bundle was signed, the attestation carries no signature')
  })
})

describe('evidence pack', () => {
  it('packs into one tar.gz that verifies as the directory did, and refuses a tampered bundle', async () => {
    const {dir, pub} = await makeBundle()
    const packed = packBundle(dir)
    expect(packed).toMatchObject({packed: true, file: `${dir}.tar.gz`})
    const r = verifyBundle(openBundle(packed.file), {trustedKey: pub})
    expect(r.problems).toEqual([])
    expect(r.ok).toBe(true)
    const names = unpackTarGz(readFileSync(packed.file)).map((e) => e.path)
    expect(names.every((n) => n.startsWith(`${fixtureResult().run_id}/`))).toBe(true)

    writeFileSync(path.join(dir, 'result.json'), '{}')
    const refused = packBundle(dir, {out: path.join(tmp, 'x.tar.gz')})
    expect(refused.packed).toBe(false)
    expect(refused.verify.problems).toEqual(['modified: result.json'])
    expect(existsSync(path.join(tmp, 'x.tar.gz'))).toBe(false)
  })

  it('tar round trip keeps long paths (pax headers, past ustar\'s 255 bytes) and binary data; GNU tar reads it', () => {
    const long = `${'d'.repeat(120)}/${'f'.repeat(200)}.log`
    const entries = [
      {path: 'a.txt', data: Buffer.from('hello')},
      {path: long, data: Buffer.from([0, 1, 2, 255])},
      {path: 'empty', data: Buffer.alloc(0)},
    ]
    const gz = packTarGz(entries, new Date('2026-11-23T00:00:00Z'))
    expect(unpackTarGz(gz)).toEqual(entries)
    writeFileSync(path.join(tmp, 'x.tar.gz'), gz)
    expect(execFileSync('tar', ['-tzf', path.join(tmp, 'x.tar.gz')], {encoding: 'utf8'}).split('\n').filter(Boolean)).toEqual(entries.map((e) => e.path))
  })

  it.each([
    ['a ../ entry', [{path: 'run/result.json', data: '{}'}, {path: 'run/../../etc/cron.d/x', data: 'evil'}], 'entry run/../../etc/cron.d/x climbs out of the bundle (..)'],
    ['an absolute path', [{path: '/etc/passwd', data: 'x'}], 'entry /etc/passwd is an absolute path'],
    ['a symbolic link', [{path: 'run/result.json', type: 'SymbolicLink' as const, linkpath: '/etc/shadow'}], 'entry run/result.json is a SymbolicLink; an evidence tarball holds regular files only (links are refused)'],
    ['a hard link', [{path: 'run/a', data: 'x'}, {path: 'run/b', type: 'Link' as const, linkpath: 'run/a'}], 'entry run/b is a Link'],
  ])('refuses a tarball with %s, naming the entry', (_what, entries, message) => {
    expect(() => unpackTarGz(rawTarGz(entries))).toThrow(message)
  })

  it('refuses a truncated or damaged archive', () => {
    const gz = packTarGz([{path: 'a.txt', data: Buffer.alloc(2000, 1)}], new Date())
    expect(() => unpackTarGz(gzipSync(gunzipSync(gz).subarray(0, 1024)))).toThrow()
    expect(() => unpackTarGz(Buffer.from('not gzip at all'))).toThrow()
  })
})

describe('writes are atomic', () => {
  it('a full disk half-way leaves no bundle and no partial directory, never a truncated pass', async () => {
    let n = 0
    const failing: FileWriter = {
      write(file, data, mode) {
        if (++n === 5) throw Object.assign(new Error('ENOSPC: no space left on device, write'), {code: 'ENOSPC'})
        writeFileAtomic(file, data, mode)
      },
    }
    const dir = path.join(tmp, 'run')
    const attempt = recordEvidence(shippedDrill(), fixtureResult(), fakeEvidenceEngine(), {dir, key: keyPair().key, writer: failing})
    await expect(attempt).rejects.toBeInstanceOf(EvidenceWriteError)
    await expect(attempt).rejects.toThrow(/could not write the evidence bundle .*ENOSPC.*nothing was left there/)
    await expect(attempt).rejects.toMatchObject({exitCode: 4, suggestions: [`free space on the file system holding ${tmp} (df -h ${tmp}), or write the evidence elsewhere (--out DIR, or FIREDRILL_HOME), then run the drill again`]})
    expect(readdirSync(tmp)).toEqual([])
  })

  it('run: a full disk leaves no bundle and no history entry, and says the run counts as not run, with its unrecorded figures', async () => {
    const failing: FileWriter = {
      write(file, data, mode) {
        if (file.endsWith('environment.json')) throw Object.assign(new Error('ENOSPC: no space left on device, write'), {code: 'ENOSPC'})
        writeFileAtomic(file, data, mode)
      },
    }
    const out = path.join(tmp, 'evidence')
    const store = path.join(tmp, 'home', 'history.sqlite')
    const evidence = evidenceForRun([shippedDrill()], {out, reporters: ['html'], store, writer: failing})
    const attempt = evidence.record(fixtureResult(), shippedDrill(), fakeEvidenceEngine())
    await expect(attempt).rejects.toMatchObject({exitCode: 4, code: 'evidence_write_failed', suggestions: [expect.stringMatching(/^free space on the file system holding /)]})
    const message = ((await attempt.catch((e: unknown) => e)) as Error).message
    expect(message).toMatch(new RegExp(`^could not write the evidence bundle ${out}: ENOSPC: no space left on device, write; nothing was left there\n`))
    expect(message).toContain(`The drill kill-primary itself ran to the end and its faults were reverted, but run ${fixtureResult().run_id} is not on record (no bundle, no history entry) and counts as not run; its unrecorded figures: RTO `)
    expect(message).toMatch(/, which would have been PASS\.$/)
    expect(readdirSync(tmp)).toEqual([])
    expect(evidence.records).toEqual([])
  })

  it('run: a bundle written but a history store that cannot take the run is exit 4, the bundle kept and named', async () => {
    const store = path.join(tmp, 'home', 'history.sqlite')
    const evidence = evidenceForRun([shippedDrill()], {out: path.join(tmp, 'evidence'), reporters: [], store})
    mkdirSync(store, {recursive: true}) // after the check: something took its place
    const attempt = evidence.record(fixtureResult(), shippedDrill(), fakeEvidenceEngine())
    await expect(attempt).rejects.toMatchObject({exitCode: 4, code: 'evidence_write_failed', message: expect.stringMatching(new RegExp(`^the evidence bundle ${tmp}/evidence was written, but the history store ${store} could not record run `))})
    await expect(attempt).rejects.toMatchObject({suggestions: [expect.stringContaining('firedrill history will not list this run'), `the bundle itself is complete: firedrill evidence verify ${tmp}/evidence`]})
    expect(verify(path.join(tmp, 'evidence')).ok).toBe(true)
  })

  it('writeFileAtomic leaves no temp file behind', () => {
    const f = path.join(tmp, 'x', 'file.json')
    writeFileAtomic(f, '{"a":1}')
    writeFileAtomic(f, '{"a":2}')
    expect(readFileSync(f, 'utf8')).toBe('{"a":2}')
    expect(readdirSync(path.dirname(f))).toEqual(['file.json'])
  })

  it('a container whose logs cannot be read still gets a log file saying so', async () => {
    const dir = path.join(tmp, 'run')
    await recordEvidence(shippedDrill(), fixtureResult(), fakeEvidenceEngine({failLogsOf: 'id-etcd-seoul'}), {dir})
    expect(readFileSync(path.join(dir, 'logs/fd-bank-3site-etcd-seoul.log'), 'utf8')).toMatch(/logs could not be read: engine went away/)
  })

  it('the engine gone: the bundle keeps what there is, names what could not be collected, and verifies', async () => {
    const dir = path.join(tmp, 'run')
    const gone = async () => {
      throw new Error('cannot reach the Docker engine at unix:///x.sock (ENOENT)')
    }
    const engine = {...fakeEvidenceEngine(), listContainers: gone, listNetworks: gone, inspectImage: gone}
    const result = fixtureResult({status: 'aborted', verdict: 'fail', error: 'the Docker engine was lost mid-drill'})
    const rec = await recordEvidence(shippedDrill(), result, engine, {dir, reporters: ['markdown', 'html']})
    expect(filesIn(dir).filter((f) => f.startsWith('logs/') || f.startsWith('inspect/'))).toEqual([])
    for (const f of ['result.json', 'samples.csv', 'events.jsonl', 'environment.json', 'inputs/drill.yaml', 'reports/report.md']) expect(filesIn(dir)).toContain(f)
    const env = JSON.parse(readFileSync(path.join(dir, 'environment.json'), 'utf8'))
    expect(env.not_collected).toEqual([
      'the list of containers (so no logs and no container inspect): cannot reach the Docker engine at unix:///x.sock (ENOENT)',
      'the list of networks (so no network inspect): cannot reach the Docker engine at unix:///x.sock (ENOENT)',
      'inspect of image firedrill/bank-node:15: cannot reach the Docker engine at unix:///x.sock (ENOENT)',
    ])
    expect(rec.warnings[0]).toMatch(/^the evidence is incomplete: 3 item\(s\) could not be collected \(named in environment\.json\)/)
    expect(readFileSync(path.join(dir, 'reports/report.md'), 'utf8')).toContain('- not collected: the list of containers')
    expect((await verify(dir)).ok).toBe(true)
  })
})

describe('pieces', () => {
  it('hash chain: intact, edited, and truncated in the middle', () => {
    const events = fixtureResult().timeline
    const text = chainEvents(events)
    expect(verifyChain(text)).toMatchObject({ok: true, events: events.length})
    const lines = text.trimEnd().split('\n')
    const edited = [...lines]
    edited[2] = edited[2]!.replace('"detail":"', '"detail":"X')
    expect(verifyChain(`${edited.join('\n')}\n`).broken).toEqual([{line: 4, reason: 'does not carry the hash of the line before it'}])
    const dropped = lines.filter((_, i) => i !== 5)
    expect(verifyChain(`${dropped.join('\n')}\n`).broken[0]).toMatchObject({line: 6})
  })

  it('samples.csv quotes errors with commas and quotes', () => {
    const samples = [{seq: 1, start: 1.5, end: 2, outcome: 'failed' as const, node: 'a', error: 'x, "y"\nz'}]
    expect(parseSamplesCsv(samplesCsv(samples))).toEqual(samples)
  })

  it('a damaged samples.csv is refused, not half read (a row of seven fields, an unterminated quote)', () => {
    const head = 'seq,start_ms,end_ms,outcome,node,error\n'
    expect(() => parseSamplesCsv(`${head}1,0,1,ok,a,,extra\n`)).toThrow(/^samples\.csv: Invalid Record Length/)
    expect(() => parseSamplesCsv(`${head}1,0,1,ok,a,"never closed\n`)).toThrow(/^samples\.csv: Quote Not Closed/)
  })

  it('redactor: words of their own only, JSON-escaped spellings too, secret-named fields always', () => {
    const r = new Redactor(['firedrill', 'p"w\\x'])
    expect(r.text('password=firedrill; io.firedrill.project; firedrill/bank-node; user firedrill.')).toBe(`password=${REDACTED}; io.firedrill.project; firedrill/bank-node; user ${REDACTED}.`)
    expect(JSON.parse(r.text(JSON.stringify({a: 'pw p"w\\x here'})))).toEqual({a: `pw ${REDACTED} here`})
    expect(r.json({Env: ['DB_PASSWORD=other', 'HOME=/root'], password: 'zzz', nested: {api_key: 'k'}})).toEqual({Env: [`DB_PASSWORD=${REDACTED}`, 'HOME=/root'], password: REDACTED, nested: {api_key: REDACTED}})
  })

  it('redactor: URL-encoded and base64 spellings; after a secret-named key or in a URL whatever the value', () => {
    const secret = 'S3cr3t+Pw/42=Zx'
    const r = new Redactor([secret])
    expect(r.text(`psql postgresql://postgres:${encodeURIComponent(secret)}@db/x; echo ${Buffer.from(secret).toString('base64')} | base64 -d`)).toBe(`psql postgresql://postgres:${REDACTED}@db/x; echo ${REDACTED} | base64 -d`)
    expect(r.text('PGPASSWORD=unknown psql; {"api_key": "k1"}; https://u:p4ss@h/; --password=x2 -U me')).toBe(`PGPASSWORD=${REDACTED} psql; {"api_key": "${REDACTED}"}; https://u:${REDACTED}@h/; --password=${REDACTED} -U me`)
    expect(r.text("config {'superuser': {'username': 'postgres', 'password': 'pw 2'}}")).toBe(`config {'superuser': {'username': 'postgres', 'password': '${REDACTED}'}}`)
    // Applied twice, it changes nothing more.
    const once = r.text(`password: "${secret}"; token=${secret}`)
    expect(once).toBe(`password: "${REDACTED}"; token=${REDACTED}`)
    expect(r.text(once)).toBe(once)
    expect(r.size).toBe(1)
  })

  it('redactor: a secret that is also a public name is replaced only where it stands as a secret', () => {
    const r = new Redactor(['bank-3site', 'firedrill'])
    r.allowPublic(['bank-3site', 'firedrill'])
    expect(r.text('topology bank-3site is in use by another firedrill; firedrill cleanup --project bank-3site')).toBe('topology bank-3site is in use by another firedrill; firedrill cleanup --project bank-3site')
    expect(r.text('ETCD_INITIAL_CLUSTER_TOKEN: bank-3site; PGPASSWORD=firedrill; postgres://postgres:firedrill@db')).toBe(`ETCD_INITIAL_CLUSTER_TOKEN: ${REDACTED}; PGPASSWORD=${REDACTED}; postgres://postgres:${REDACTED}@db`)
  })

  it('the embedded topology, whose etcd cluster token is its name, keeps its name in the bundle and its token out of it', async () => {
    const dir = path.join(tmp, 'run')
    await recordEvidence(shippedDrill(), fixtureResult({topology: 'bank-3site'}), fakeEvidenceEngine(), {dir, reporters: ['markdown']})
    expect(JSON.parse(readFileSync(path.join(dir, 'result.json'), 'utf8')).topology).toBe('bank-3site')
    expect(readFileSync(path.join(dir, 'reports/report.md'), 'utf8')).toContain('on topology `bank-3site`')
    const topology = readFileSync(path.join(dir, 'inputs/topology.yaml'), 'utf8')
    expect(topology).toContain('name: bank-3site')
    expect(topology).toContain(`ETCD_INITIAL_CLUSTER_TOKEN: ${REDACTED}`)
    expect(topology).toContain(`PATRONI_SUPERUSER_PASSWORD: ${REDACTED}`)
  })

  it('a signing key that is not Ed25519, or not a key, is bad input', async () => {
    const {generateKeyPairSync} = await import('node:crypto')
    const rsa = generateKeyPairSync('rsa', {modulusLength: 1024}).privateKey.export({type: 'pkcs8', format: 'pem'}).toString()
    expect(() => loadSigningKey(rsa)).toThrow(/an rsa key; firedrill signs with Ed25519 keys/)
    expect(() => loadSigningKey('/nonexistent/key')).toThrow(/file not found/)
    expect(() => loadSigningKey(undefined, {FIREDRILL_SIGNING_KEY: '-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----\n'})).toThrow(/FIREDRILL_SIGNING_KEY: not a PEM private key/)
    expect(loadSigningKey(undefined, {})).toBeUndefined()
  })
})
