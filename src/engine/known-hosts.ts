import {createHmac} from 'node:crypto'

/**
 * OpenSSH known_hosts, as `ssh` reads it (sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT"): one key a line,
 * `[marker] hostpatterns keytype base64-key [comment]`. Host patterns are comma-separated names or
 * addresses (`[host]:port` for a port other than 22), with `*` and `?` wildcards and `!` negation, or one
 * hashed name `|1|base64(salt)|base64(HMAC-SHA1(salt, name))` (HashKnownHosts). A `@revoked` key is
 * refused for every host it names; `@cert-authority` lines (host certificates) are not supported and
 * are skipped, so such a host stays unknown. No npm package parses this format with hashed names and
 * markers (the ones there are wrap the `ssh-keygen` binary), so it is written here: small and pure.
 */
export interface KnownHostKey {
  marker?: 'revoked' | 'cert-authority'
  patterns: string
  type: string
  /** The key blob, as the server sends it in the key exchange. */
  key: Buffer
}

export function parseKnownHosts(text: string): KnownHostKey[] {
  const out: KnownHostKey[] = []
  for (const raw of text.split('\n')) {
    const line = raw.trim()
    if (line === '' || line.startsWith('#')) continue
    const fields = line.split(/\s+/)
    let marker: KnownHostKey['marker']
    if (fields[0]?.startsWith('@')) {
      const m = fields.shift()!.slice(1)
      if (m !== 'revoked' && m !== 'cert-authority') continue
      marker = m
    }
    const [patterns, type, blob] = fields
    if (!patterns || !type || !blob) continue
    const key = Buffer.from(blob, 'base64')
    if (key.length === 0) continue
    out.push({...(marker ? {marker} : {}), patterns, type, key})
  }
  return out
}

/** How known_hosts names a host on a port: `host` on 22, `[host]:port` otherwise. */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`
}

/** Whether one entry's host patterns name this host (a negated pattern that matches wins over any other). */
export function patternsMatch(patterns: string, name: string): boolean {
  if (patterns.startsWith('|1|')) {
    const [, , salt, hash] = patterns.split('|')
    if (!salt || !hash) return false
    return createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64') === hash
  }
  let matched = false
  for (const p of patterns.split(',')) {
    const negated = p.startsWith('!')
    if (!glob(negated ? p.slice(1) : p, name)) continue
    if (negated) return false
    matched = true
  }
  return matched
}

function glob(pattern: string, name: string): boolean {
  const re = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')
  return new RegExp(`^${re}$`, 'i').test(name)
}

/** The key type named inside a key blob (its first SSH string). */
export function keyBlobType(key: Buffer): string | undefined {
  if (key.length < 4) return undefined
  const n = key.readUInt32BE(0)
  if (n === 0 || 4 + n > key.length) return undefined
  return key.subarray(4, 4 + n).toString('latin1')
}

export type HostKeyVerdict = {ok: true} | {ok: false; reason: 'unknown' | 'changed' | 'revoked'}

/** Check the key a server offered against known_hosts, as `StrictHostKeyChecking yes` does. */
export function verifyHostKey(entries: readonly KnownHostKey[], host: string, port: number, offered: Buffer): HostKeyVerdict {
  if (entries.some((e) => e.marker === 'revoked' && e.key.equals(offered))) return {ok: false, reason: 'revoked'}
  const name = knownHostsName(host, port)
  const mine = entries.filter((e) => e.marker === undefined && patternsMatch(e.patterns, name))
  if (mine.some((e) => e.key.equals(offered))) return {ok: true}
  const type = keyBlobType(offered)
  // A known key of another type is no reason to refuse (the server may hold several); one of the same type that differs is.
  return {ok: false, reason: mine.some((e) => e.type === type) ? 'changed' : 'unknown'}
}

/**
 * The host key algorithms to offer, so that the server proves a key we know (as ssh orders them by
 * known_hosts): those of this host's known keys, or undefined (the client's defaults) when none is known.
 */
export function hostKeyAlgorithms(entries: readonly KnownHostKey[], host: string, port: number): string[] | undefined {
  const name = knownHostsName(host, port)
  const algorithms: string[] = []
  for (const e of entries) {
    if (e.marker !== undefined || !patternsMatch(e.patterns, name)) continue
    const forType = e.type === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : HOST_KEY_TYPES.has(e.type) ? [e.type] : []
    for (const a of forType) if (!algorithms.includes(a)) algorithms.push(a)
  }
  return algorithms.length > 0 ? algorithms : undefined
}

/** The host key types the SSH client (ssh2) verifies. */
const HOST_KEY_TYPES = new Set(['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521'])
