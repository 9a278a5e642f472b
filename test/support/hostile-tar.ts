import {gzipSync} from 'node:zlib'

import {Header, type HeaderData} from 'tar'

export interface RawTarEntry {
  path: string
  type?: HeaderData['type']
  linkpath?: string
  data?: string
}

/** A tarball written block by block, as a hostile one would be: nothing in node-tar's writer gets to clean the paths. */
export function rawTarGz(entries: RawTarEntry[]): Buffer {
  const blocks: Buffer[] = []
  for (const e of entries) {
    const data = Buffer.from(e.data ?? '')
    const h = new Header({path: e.path, type: e.type ?? 'File', linkpath: e.linkpath, size: data.length, mode: 0o644, mtime: new Date(0)})
    h.encode()
    blocks.push(h.block!, data, Buffer.alloc((512 - (data.length % 512)) % 512))
  }
  blocks.push(Buffer.alloc(1024))
  return gzipSync(Buffer.concat(blocks))
}
