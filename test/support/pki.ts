/**
 * TLS and SSH material made at test time (openssl, ssh-keygen) for the engines of the lab
 * (test/support/engines.ts): a CA, a server certificate whose subjectAltName is the engine's IP, client
 * certificates (DOCKER_CERT_PATH layout: ca.pem, cert.pem, key.pem), and SSH key pairs. Nothing here is
 * kept: every file lives in a temporary directory the caller removes.
 */
import {mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {execa} from 'execa'

export interface Ca {
  dir: string
  cert: string
  key: string
}

async function openssl(args: string[]): Promise<void> {
  await execa('openssl', args, {timeout: 60_000})
}

/** A self-signed CA in DIR (ca.pem, ca-key.pem). */
export async function makeCa(dir: string, cn: string): Promise<Ca> {
  mkdirSync(dir, {recursive: true})
  const key = path.join(dir, 'ca-key.pem')
  const cert = path.join(dir, 'ca.pem')
  await openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', `/CN=${cn}`])
  return {dir, cert, key}
}

/** A key and certificate signed by CA: for a server (subjectAltName IP) or a client (clientAuth). Written as NAME-key.pem and NAME-cert.pem in DIR. */
export async function issue(ca: Ca, dir: string, name: string, opts: {cn: string; ip?: string; client?: boolean}): Promise<{cert: string; key: string}> {
  mkdirSync(dir, {recursive: true})
  const key = path.join(dir, `${name}-key.pem`)
  const csr = path.join(dir, `${name}.csr`)
  const cert = path.join(dir, `${name}-cert.pem`)
  const ext = path.join(dir, `${name}.ext`)
  writeFileSync(ext, opts.client ? 'extendedKeyUsage = clientAuth\n' : `extendedKeyUsage = serverAuth\nsubjectAltName = IP:${opts.ip},IP:127.0.0.1\n`)
  await openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', csr, '-subj', `/CN=${opts.cn}`])
  await openssl(['x509', '-req', '-in', csr, '-CA', ca.cert, '-CAkey', ca.key, '-CAcreateserial', '-out', cert, '-days', '2', '-extfile', ext])
  return {cert, key}
}

/** A client's directory as DOCKER_CERT_PATH wants it: ca.pem (the CA that signed the server), cert.pem, key.pem. */
export async function clientDir(serverCa: Ca, signer: Ca, dir: string): Promise<{dir: string; ca: string; cert: string; key: string}> {
  const made = await issue(signer, dir, 'client', {cn: 'firedrill-test-client', client: true})
  const out = {dir, ca: path.join(dir, 'ca.pem'), cert: path.join(dir, 'cert.pem'), key: path.join(dir, 'key.pem')}
  writeFileSync(out.ca, readFileSync(serverCa.cert))
  writeFileSync(out.cert, readFileSync(made.cert))
  writeFileSync(out.key, readFileSync(made.key), {mode: 0o600})
  return out
}

/** An ed25519 key pair without a passphrase: DIR/NAME (private) and DIR/NAME.pub. */
export async function sshKeyPair(dir: string, name: string): Promise<{privateKey: string; publicKey: string}> {
  mkdirSync(dir, {recursive: true})
  const privateKey = path.join(dir, name)
  await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'firedrill-test', '-f', privateKey], {timeout: 30_000})
  return {privateKey, publicKey: readFileSync(`${privateKey}.pub`, 'utf8').trim()}
}

/** The base64 body of a PEM or OpenSSH private key file (what must never appear in evidence). */
export function keyBody(file: string): string[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith('-----'))
}
