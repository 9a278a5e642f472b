import {createHmac, generateKeyPairSync} from 'node:crypto'

import {describe, expect, it} from 'vitest'

import {hostKeyAlgorithms, keyBlobType, knownHostsName, parseKnownHosts, patternsMatch, verifyHostKey} from '../../src/engine/known-hosts.js'

/** An ssh-ed25519 key blob as a server sends it: string "ssh-ed25519", string 32-byte public key. */
function ed25519Blob(): Buffer {
  const raw = generateKeyPairSync('ed25519').publicKey.export({format: 'der', type: 'spki'}).subarray(-32)
  const str = (b: Buffer) => Buffer.concat([Buffer.from([0, 0, 0, b.length]), b])
  return Buffer.concat([str(Buffer.from('ssh-ed25519')), str(raw)])
}
const line = (hosts: string, blob: Buffer, marker = '') => `${marker}${marker ? ' ' : ''}${hosts} ssh-ed25519 ${blob.toString('base64')} comment`

describe('known_hosts (StrictHostKeyChecking yes for ssh:// engines)', () => {
  const mine = ed25519Blob()
  const other = ed25519Blob()

  it('the key of a host listed by name or address is accepted; another key of the same type is a changed key; none is unknown', () => {
    const known = parseKnownHosts(`# comment\n\n${line('db1.lab,10.0.0.2', mine)}\n`)
    expect(keyBlobType(mine)).toBe('ssh-ed25519')
    expect(verifyHostKey(known, '10.0.0.2', 22, mine)).toEqual({ok: true})
    expect(verifyHostKey(known, 'DB1.lab', 22, mine)).toEqual({ok: true})
    expect(verifyHostKey(known, '10.0.0.2', 22, other)).toEqual({ok: false, reason: 'changed'})
    expect(verifyHostKey(known, '10.0.0.3', 22, mine)).toEqual({ok: false, reason: 'unknown'})
    expect(verifyHostKey([], '10.0.0.2', 22, mine)).toEqual({ok: false, reason: 'unknown'})
  })

  it('a port other than 22 is [host]:port, as ssh writes it; the entry for port 22 does not cover it', () => {
    expect(knownHostsName('10.0.0.2', 2222)).toBe('[10.0.0.2]:2222')
    const known = parseKnownHosts(line('10.0.0.2', mine))
    expect(verifyHostKey(known, '10.0.0.2', 2222, mine)).toEqual({ok: false, reason: 'unknown'})
    expect(verifyHostKey(parseKnownHosts(line('[10.0.0.2]:2222', mine)), '10.0.0.2', 2222, mine)).toEqual({ok: true})
  })

  it('hashed names (HashKnownHosts), wildcards and negation', () => {
    const salt = Buffer.from('0123456789abcdefghij')
    const hashed = `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update('10.0.0.2').digest('base64')}`
    expect(patternsMatch(hashed, '10.0.0.2')).toBe(true)
    expect(patternsMatch(hashed, '10.0.0.20')).toBe(false)
    expect(patternsMatch('10.0.0.*,!10.0.0.9', '10.0.0.2')).toBe(true)
    expect(patternsMatch('10.0.0.*,!10.0.0.9', '10.0.0.9')).toBe(false)
    expect(patternsMatch('10.0.0.?', '10.0.0.25')).toBe(false)
    expect(verifyHostKey(parseKnownHosts(line(hashed, mine)), '10.0.0.2', 22, mine)).toEqual({ok: true})
  })

  it('a @revoked key is refused whatever else lists it; @cert-authority lines are not taken as host keys', () => {
    const known = parseKnownHosts(`${line('10.0.0.2', mine)}\n${line('*', mine, '@revoked')}\n${line('10.0.0.3', other, '@cert-authority')}`)
    expect(verifyHostKey(known, '10.0.0.2', 22, mine)).toEqual({ok: false, reason: 'revoked'})
    expect(verifyHostKey(known, '10.0.0.3', 22, other)).toEqual({ok: false, reason: 'unknown'})
  })

  it('offers the host key algorithms of the keys known for that host (rsa as its SHA-2 signatures), or the defaults', () => {
    const known = parseKnownHosts(`${line('10.0.0.2', mine)}\n10.0.0.2 ssh-rsa AAAAB3NzaC1yc2E=\n10.0.0.2 ssh-dss AAAAB3NzaC1kc3M=`)
    expect(hostKeyAlgorithms(known, '10.0.0.2', 22)).toEqual(['ssh-ed25519', 'rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'])
    expect(hostKeyAlgorithms(known, '10.0.0.9', 22)).toBeUndefined()
  })
})
