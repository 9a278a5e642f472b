import {createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject} from 'node:crypto'
import {existsSync, readFileSync} from 'node:fs'
import path from 'node:path'

import {ExitCode, FiredrillError} from '../errors.js'
import {sha256hex} from './chain.js'

/** The DSSE payload type of an in-toto Statement. */
export const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json'
export const STATEMENT_TYPE = 'https://in-toto.io/Statement/v1'
export const PREDICATE_TYPE = 'https://firedrill.dev/evidence-bundle/v1'
/** Where the signing key comes from when --key is not given: a file path, or the PEM text itself. */
export const SIGNING_KEY_ENV = 'FIREDRILL_SIGNING_KEY'

export interface DsseEnvelope {
  payloadType: string
  /** Base64 of the serialized statement. */
  payload: string
  signatures: {keyid: string; sig: string}[]
}

export interface InTotoStatement {
  _type: typeof STATEMENT_TYPE
  subject: {name: string; digest: {sha256: string}}[]
  predicateType: string
  predicate: Record<string, unknown>
}

export interface SigningKey {
  privateKey: KeyObject
  publicKey: KeyObject
  keyid: string
  publicPem: string
  /** What the signer calls this key: its trusted name when the trust store knows it, else the key file's name; null for PEM text. */
  name: string | null
}

/** DSSE v1 pre-authentication encoding: what is actually signed. */
export function pae(payloadType: string, payload: Buffer): Buffer {
  const type = Buffer.from(payloadType, 'utf8')
  return Buffer.concat([Buffer.from(`DSSEv1 ${type.length} `), type, Buffer.from(` ${payload.length} `), payload])
}

/** A key's id: SHA-256 of its public key (SubjectPublicKeyInfo DER), hex. */
export function keyId(publicKey: KeyObject): string {
  return sha256hex(publicKey.export({type: 'spki', format: 'der'}))
}

export function generateSigningKey(): {privatePem: string; publicPem: string; keyid: string} {
  const {privateKey, publicKey} = generateKeyPairSync('ed25519')
  return {
    privatePem: privateKey.export({type: 'pkcs8', format: 'pem'}).toString(),
    publicPem: publicKey.export({type: 'spki', format: 'pem'}).toString(),
    keyid: keyId(publicKey),
  }
}

export function envelope(statement: InTotoStatement, key: SigningKey | undefined): DsseEnvelope {
  const payload = Buffer.from(JSON.stringify(statement, null, 2), 'utf8')
  const signatures = key ? [{keyid: key.keyid, sig: sign(null, pae(IN_TOTO_PAYLOAD_TYPE, payload), key.privateKey).toString('base64')}] : []
  return {payloadType: IN_TOTO_PAYLOAD_TYPE, payload: payload.toString('base64'), signatures}
}

/** True when `sig` is a valid Ed25519 signature by `publicKey` over the envelope's PAE. */
export function verifySignature(env: DsseEnvelope, sig: string, publicKey: KeyObject): boolean {
  try {
    return verify(null, pae(env.payloadType, Buffer.from(env.payload, 'base64')), publicKey, Buffer.from(sig, 'base64'))
  } catch {
    return false
  }
}

/** A signing key from --key or FIREDRILL_SIGNING_KEY (a path to a PEM file, or the PEM itself); undefined when neither is set. */
export function loadSigningKey(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): SigningKey | undefined {
  const source = flag ?? env[SIGNING_KEY_ENV]
  if (source === undefined || source === '') return undefined
  const where = flag !== undefined ? `--key ${flag}` : SIGNING_KEY_ENV
  const pem = readPem(source, where)
  try {
    const privateKey = createPrivateKey(pem)
    if (privateKey.asymmetricKeyType !== 'ed25519') throw new KeyError(`${where}: an ${privateKey.asymmetricKeyType} key; firedrill signs with Ed25519 keys`)
    const publicKey = createPublicKey(privateKey)
    const name = source.trimStart().startsWith('-----BEGIN') ? null : path.basename(source).replace(/\.(key|pem)$/, '')
    return {privateKey, publicKey, keyid: keyId(publicKey), publicPem: publicKey.export({type: 'spki', format: 'pem'}).toString(), name}
  } catch (error) {
    if (error instanceof KeyError) throw error
    throw new KeyError(`${where}: not a PEM private key (${(error as Error).message})`)
  }
}

/** A public key to verify against (--pub): a PEM file or PEM text; a private key file works too. */
export function loadPublicKey(source: string, where = '--pub'): KeyObject {
  const pem = readPem(source, where)
  try {
    const key = createPublicKey(pem)
    if (key.asymmetricKeyType !== 'ed25519') throw new KeyError(`${where}: an ${key.asymmetricKeyType} key; firedrill signs with Ed25519 keys`)
    return key
  } catch (error) {
    if (error instanceof KeyError) throw error
    throw new KeyError(`${where}: not a PEM public key (${(error as Error).message})`)
  }
}

function readPem(source: string, where: string): string {
  if (source.trimStart().startsWith('-----BEGIN')) return source
  if (!existsSync(source)) throw new KeyError(`${where}: ${source}: file not found`, ['make a key pair with: firedrill keys generate'])
  return readFileSync(source, 'utf8')
}

export class KeyError extends FiredrillError {
  readonly exitCode = ExitCode.BadInput
  readonly code = 'bad_key'
}
