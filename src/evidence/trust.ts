import {createPublicKey, type KeyObject} from 'node:crypto'
import {existsSync, readdirSync, readFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {z} from 'zod'

import {ConfigError, ExitCode, FiredrillError} from '../errors.js'
import type {TrustScope} from '../model/evidence.js'
import {writeFileAtomic} from '../util/atomic.js'
import {firedrillHome} from './home.js'
import {keyId, loadPublicKey, type SigningKey} from './signing.js'

/**
 * The public keys whose signatures count. Two places, both plain directories of one JSON file per key
 * (`<keyid>.json`, so a project's list can be committed and reviewed):
 * - project: `$FIREDRILL_HOME/trusted-keys/` (default `.firedrill/trusted-keys/`),
 * - user: `$XDG_CONFIG_HOME/firedrill/trusted-keys/` (default `~/.config/firedrill/trusted-keys/`).
 * A key is trusted when either lists it; revoked when either revokes it (the earliest revocation wins).
 */
export type {TrustScope} from '../model/evidence.js'
export const TRUSTED_KEY_FORMAT = 'firedrill-trusted-key/1'

const trustedKeySchema = z.object({
  format: z.literal(TRUSTED_KEY_FORMAT),
  name: z.string().min(1),
  keyid: z.string().regex(/^[0-9a-f]{64}$/, 'a key id is 64 hex digits (SHA-256 of the public key)'),
  public_key: z.string().startsWith('-----BEGIN PUBLIC KEY-----'),
  added_at: z.iso.datetime(),
  added_by: z.string(),
  revoked_at: z.iso.datetime().nullable(),
  revoked_by: z.string().nullable(),
  revoke_reason: z.string().nullable(),
})
export type TrustedKeyFile = z.infer<typeof trustedKeySchema>

export interface TrustedKey extends TrustedKeyFile {
  scope: TrustScope
  file: string
  key: KeyObject
}

export function trustDir(scope: TrustScope, env: NodeJS.ProcessEnv = process.env): string {
  if (scope === 'project') return path.join(firedrillHome(env), 'trusted-keys')
  const config = env.XDG_CONFIG_HOME || path.join(env.HOME || os.homedir(), '.config')
  return path.join(config, 'firedrill', 'trusted-keys')
}

/** Every trusted key of both scopes, project first; a damaged file is exit 2 naming it and its field. */
export class TrustStore {
  constructor(readonly keys: readonly TrustedKey[]) {}

  static load(env: NodeJS.ProcessEnv = process.env): TrustStore {
    const keys: TrustedKey[] = []
    for (const scope of ['project', 'user'] as const) {
      const dir = trustDir(scope, env)
      if (!existsSync(dir)) continue
      for (const f of readdirSync(dir).filter((n) => n.endsWith('.json')).sort()) keys.push(readTrustedKey(path.join(dir, f), scope))
    }
    return new TrustStore(keys)
  }

  static empty(): TrustStore {
    return new TrustStore([])
  }

  /** The entries for this key id (one per scope that lists it). */
  find(keyid: string): TrustedKey[] {
    return this.keys.filter((k) => k.keyid === keyid)
  }

  /** Trusted at all (revoked or not): its name and the earliest revocation, if any. */
  lookup(keyid: string): {name: string; scope: TrustScope; key: KeyObject; revoked_at: string | null; revoke_reason: string | null} | undefined {
    const found = this.find(keyid)
    if (found.length === 0) return undefined
    const revoked = found.filter((k) => k.revoked_at !== null).sort((a, b) => (a.revoked_at! < b.revoked_at! ? -1 : 1))[0]
    return {name: found[0]!.name, scope: found[0]!.scope, key: found[0]!.key, revoked_at: revoked?.revoked_at ?? null, revoke_reason: revoked?.revoke_reason ?? null}
  }

  /** A key by its id (or a unique prefix of at least 8 hex digits) or its name. */
  resolve(ref: string): TrustedKey[] {
    const byName = this.keys.filter((k) => k.name === ref)
    if (byName.length > 0) return byName
    if (/^[0-9a-f]{8,64}$/.test(ref)) {
      const ids = new Set(this.keys.filter((k) => k.keyid.startsWith(ref)).map((k) => k.keyid))
      if (ids.size > 1) throw new TrustError(`${ref} matches ${ids.size} trusted keys; give more of the key id`, ['firedrill keys list'])
      return this.keys.filter((k) => ids.has(k.keyid))
    }
    return []
  }
}

function readTrustedKey(file: string, scope: TrustScope): TrustedKey {
  let raw: unknown
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'))
  } catch (error) {
    throw new ConfigError([{file, field: '', message: `not a trusted-key file: ${(error as Error).message}`}], [`remove it, or trust the key again: firedrill keys trust PUBLIC_KEY.pem`])
  }
  const parsed = trustedKeySchema.safeParse(raw)
  if (!parsed.success) throw new ConfigError(parsed.error.issues.map((i) => ({file, field: i.path.join('.'), message: i.message})), ['trust the key again: firedrill keys trust PUBLIC_KEY.pem'])
  let key: KeyObject
  try {
    key = createPublicKey(parsed.data.public_key)
  } catch (error) {
    throw new ConfigError([{file, field: 'public_key', message: `not a public key (${(error as Error).message})`}])
  }
  if (keyId(key) !== parsed.data.keyid) throw new ConfigError([{file, field: 'keyid', message: `says ${parsed.data.keyid} but public_key's id is ${keyId(key)}: the file was edited`}], ['trust the key again: firedrill keys trust PUBLIC_KEY.pem'])
  return {...parsed.data, scope, file, key}
}

/** Add a public key (a PEM file; a private key file gives its public half) to one scope's list. */
export function trustKey(source: string, opts: {name?: string; scope: TrustScope; by: string; now?: Date; env?: NodeJS.ProcessEnv}): {key: TrustedKey; added: boolean} {
  const pub = loadPublicKey(source, source)
  const keyid = keyId(pub)
  const store = TrustStore.load(opts.env)
  const revoked = store.find(keyid).find((k) => k.revoked_at !== null)
  if (revoked) throw new TrustError(`key ${keyid} (${revoked.name}) was revoked on ${revoked.revoked_at} (${revoked.file}); a revoked key is not trusted again`, ['make a new key pair with firedrill keys generate, and trust its public key'])
  const existing = store.find(keyid).find((k) => k.scope === opts.scope)
  if (existing) return {key: existing, added: false}
  const name = opts.name ?? path.basename(source).replace(/(\.pub)?\.pem$|\.key$/, '')
  const taken = store.keys.find((k) => k.name === name && k.keyid !== keyid)
  if (taken) throw new TrustError(`the name ${name} is already given to key ${taken.keyid} (${taken.file})`, ['choose another --name'])
  const entry: TrustedKeyFile = {
    format: TRUSTED_KEY_FORMAT,
    name,
    keyid,
    public_key: pub.export({type: 'spki', format: 'pem'}).toString(),
    added_at: (opts.now ?? new Date()).toISOString(),
    added_by: opts.by,
    revoked_at: null,
    revoked_by: null,
    revoke_reason: null,
  }
  const file = path.join(trustDir(opts.scope, opts.env), `${keyid}.json`)
  writeFileAtomic(file, `${JSON.stringify(entry, null, 2)}\n`)
  return {key: {...entry, scope: opts.scope, file, key: pub}, added: true}
}

/**
 * Revoke a trusted key from a date on (default now): its signatures made after that date fail; those made
 * before verify, with a note. Every scope that lists the key records the revocation.
 */
export function revokeKey(ref: string, opts: {at?: Date; reason?: string; by: string; now?: Date; env?: NodeJS.ProcessEnv}): TrustedKey[] {
  const store = TrustStore.load(opts.env)
  const found = store.resolve(ref)
  if (found.length === 0) throw new TrustError(`no trusted key is named or has the id ${ref}`, ['firedrill keys list'])
  const at = (opts.at ?? opts.now ?? new Date()).toISOString()
  const out: TrustedKey[] = []
  for (const k of found) {
    if (k.revoked_at !== null && k.revoked_at <= at) {
      out.push(k)
      continue
    }
    const {scope: _s, file: _f, key: _k, ...data} = k
    const entry: TrustedKeyFile = {...data, revoked_at: at, revoked_by: opts.by, revoke_reason: opts.reason ?? null}
    writeFileAtomic(k.file, `${JSON.stringify(entry, null, 2)}\n`)
    out.push({...k, ...entry})
  }
  return out
}

export class TrustError extends FiredrillError {
  readonly exitCode = ExitCode.BadInput
  readonly code = 'trust'
}

/**
 * Before signing anything: a revoked key is refused (exit 2); a key nobody here trusts signs with a warning
 * (its bundles fail verify --require-signature until trusted). The key takes its trusted name.
 */
export function checkSigningKey(key: SigningKey, env: NodeJS.ProcessEnv = process.env): string[] {
  const known = TrustStore.load(env).lookup(key.keyid)
  if (known?.revoked_at) {
    throw new TrustError(`the signing key ${key.keyid} (${known.name}) was revoked on ${known.revoked_at}; what it signs now fails evidence verify`, [
      'make a new key pair with firedrill keys generate, trust its public key (firedrill keys trust), and sign with it',
    ])
  }
  if (known) {
    key.name = known.name
    return []
  }
  return [`the signing key ${key.keyid} is not among the trusted keys here, so evidence verify --require-signature fails on what it signs until it is trusted: firedrill keys trust PUBLIC_KEY.pem --name NAME`]
}
