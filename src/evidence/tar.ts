import {gunzipSync, gzipSync} from 'node:zlib'

/** A minimal ustar writer and reader for evidence bundles: regular files only, no native dependency. */
export interface TarEntry {
  path: string
  data: Buffer
}

const BLOCK = 512

export function packTarGz(entries: readonly TarEntry[], mtime: Date): Buffer {
  const parts: Buffer[] = []
  const seconds = Math.floor(mtime.getTime() / 1000)
  for (const e of entries) {
    parts.push(header(e.path, e.data.length, seconds))
    parts.push(e.data)
    const pad = (BLOCK - (e.data.length % BLOCK)) % BLOCK
    if (pad) parts.push(Buffer.alloc(pad))
  }
  parts.push(Buffer.alloc(BLOCK * 2))
  return gzipSync(Buffer.concat(parts), {level: 9})
}

function header(name: string, size: number, mtime: number): Buffer {
  const h = Buffer.alloc(BLOCK)
  let prefix = ''
  let base = name
  if (Buffer.byteLength(name) > 100) {
    const cut = name.lastIndexOf('/', 155)
    if (cut <= 0 || Buffer.byteLength(name.slice(cut + 1)) > 100) throw new Error(`path too long for a tar entry: ${name}`)
    prefix = name.slice(0, cut)
    base = name.slice(cut + 1)
  }
  h.write(base, 0, 100, 'utf8')
  h.write(octal(0o644, 8), 100)
  h.write(octal(0, 8), 108)
  h.write(octal(0, 8), 116)
  h.write(octal(size, 12), 124)
  h.write(octal(mtime, 12), 136)
  h.fill(' ', 148, 156)
  h.write('0', 156)
  h.write('ustar\u000000', 257, 'binary')
  h.write(prefix, 345, 155, 'utf8')
  let sum = 0
  for (const b of h) sum += b
  h.write(`${sum.toString(8).padStart(6, '0')}\u0000 `, 148, 'binary')
  return h
}

function octal(n: number, width: number): string {
  return `${n.toString(8).padStart(width - 1, '0')}\u0000`
}

export function unpackTarGz(gz: Buffer): TarEntry[] {
  let tar: Buffer
  try {
    tar = gunzipSync(gz)
  } catch (error) {
    throw new Error(`not a gzip file: ${(error as Error).message}`)
  }
  const entries: TarEntry[] = []
  let off = 0
  while (off + BLOCK <= tar.length) {
    const h = tar.subarray(off, off + BLOCK)
    if (h.every((b) => b === 0)) break
    const name = cstr(h, 0, 100)
    const size = Number.parseInt(cstr(h, 124, 12).trim() || '0', 8)
    const type = String.fromCharCode(h[156] ?? 0)
    const prefix = h.subarray(257, 262).toString('binary') === 'ustar' ? cstr(h, 345, 155) : ''
    let sum = 0
    for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : h[i]!
    if (sum !== Number.parseInt(cstr(h, 148, 8).trim(), 8)) throw new Error(`tar header checksum mismatch at offset ${off}`)
    off += BLOCK
    if (Number.isNaN(size) || off + size > tar.length) throw new Error(`truncated tar entry ${name}`)
    if (type === '0' || type === '\u0000') entries.push({path: prefix ? `${prefix}/${name}` : name, data: Buffer.from(tar.subarray(off, off + size))})
    off += Math.ceil(size / BLOCK) * BLOCK
  }
  return entries
}

function cstr(b: Buffer, start: number, len: number): string {
  const s = b.subarray(start, start + len)
  const nul = s.indexOf(0)
  return s.subarray(0, nul < 0 ? len : nul).toString('utf8')
}
